"""Every view: anonymous → login, no permission → 403, permitted → OK, out of scope → 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core import routes
from amanah.core.actors import SystemActor
from amanah.core.permissions import PUBLIC, SIGNED_IN
from amanah.core.roles import RoleKey
from amanah.core.testing import ViewCase
from amanah.iam import services as iam
from amanah.iam.models import RolePermission

R = RoleKey

CASES = [
    ViewCase("core:home", "home.view"),
    ViewCase("api:openapi-json", "api.docs"),
    ViewCase("api:openapi-view", "api.docs"),
    ViewCase("api:api-root", "api.docs", ok_status=(302,)),
    ViewCase("audit:list", "audit.view"),
    ViewCase("audit:export", "audit.export"),
    ViewCase("iam:my_branches", "iam.branch.view"),
    ViewCase(
        "iam:branch_detail",
        "iam.branch.view",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
    ),
    ViewCase("iam:user_list", "iam.user.manage"),
    ViewCase("iam:user_create", "iam.user.manage"),
    ViewCase(
        "iam:user_edit",
        "iam.user.manage",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
    ),
    ViewCase(
        "iam:user_disable",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"reason": "pindah tugas ke cabang lain"},
        ok_status=(302,),
    ),
    ViewCase(
        "iam:user_enable",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        ok_status=(302,),
    ),
    ViewCase(
        "iam:user_password",
        "iam.user.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"password": "Kata-Sandi-Baru-99"},
        ok_status=(302,),
    ),
    ViewCase(
        "iam:user_reveal_email",
        "pii.reveal",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"reason": "verifikasi identitas staf"},
        role=R.ADMIN,  # staff records are reached through user management
    ),
    ViewCase(
        "iam:token_create",
        "iam.token.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk},
        data=lambda w: {"name": "integrasi", "role": "AGENT", "valid_days": 30},
    ),
    ViewCase(
        "iam:token_revoke",
        "iam.token.manage",
        method="post",
        kwargs=lambda w: {"user_id": w["staff_a"].pk, "token_id": w["token_a"].pk},
        out_of_scope=lambda w: {"user_id": w["staff_b"].pk, "token_id": w["token_b"].pk},
        ok_status=(302,),
    ),
    ViewCase("iam:branch_list", "iam.branch.manage"),
    ViewCase("iam:branch_create", "iam.branch.manage"),
    ViewCase(
        "iam:branch_edit",
        "iam.branch.manage",
        kwargs=lambda w: {"branch_id": w["branch_a"].pk},
        out_of_scope=lambda w: {"branch_id": w["branch_b"].pk},
    ),
    ViewCase("iam:matrix", "iam.rbac.manage"),
    ViewCase("customer360:search", "customer.search"),
    ViewCase(
        "customer360:workspace",
        "customer.view",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "customer360:timeline",
        "customer.view",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
    ),
    ViewCase(
        "customer360:change_consent",
        "consent.change",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk},
        data=lambda w: {
            "consent_type": "MARKETING",
            "new_status": "GRANTED",
            "channel": "BRANCH",
            "verification_method": "IN_PERSON",
        },
        ok_status=(302,),
    ),
    ViewCase(
        "customer360:reveal",
        "pii.reveal",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk, "field": "phone"},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk, "field": "phone"},
        data=lambda w: {"reason": "konfirmasi nomor untuk pengaduan"},
    ),
    ViewCase("customers:duplicates", "customer.duplicates.view"),
    ViewCase(
        "customers:propose_merge",
        "customer.merge.propose",
        method="post",
        kwargs=lambda w: {"flag_id": w["flag_a"].pk},
        out_of_scope=lambda w: {"flag_id": w["flag_b"].pk},
        data=lambda w: {
            "survivor": str(w["flag_a"].customer_a_id),
            "reason": "nasabah yang sama persis",
        },
        ok_status=(302,),
    ),
    ViewCase(
        "customers:dismiss_duplicate",
        "customer.duplicates.view",
        method="post",
        kwargs=lambda w: {"flag_id": w["flag_a"].pk},
        out_of_scope=lambda w: {"flag_id": w["flag_b"].pk},
        data=lambda w: {"reason": "berbeda orang, sudah dicek"},
        ok_status=(302,),
    ),
    ViewCase(
        "customers:decide_merge",
        "customer.merge.approve",
        method="post",
        kwargs=lambda w: {"request_id": w["merge_a"].pk},
        out_of_scope=lambda w: {"request_id": w["merge_b"].pk},
        data=lambda w: {"decision": "reject", "note": "perlu dicek lagi"},
        ok_status=(302,),
    ),
]


@pytest.fixture
def world(db, branch_a, branch_b, make_user):
    system = SystemActor("system:test")
    staff_a = make_user(R.AGENT, branches=[branch_a], email="staf.a@bank.co.id")
    staff_b = make_user(R.AGENT, branches=[branch_b], email="staf.b@bank.co.id")
    token_a, _ = iam.api_token_create(actor=system, user=staff_a, role="AGENT", name="a")
    token_b, _ = iam.api_token_create(actor=system, user=staff_b, role="AGENT", name="b")
    world = {
        "branch_a": branch_a,
        "branch_b": branch_b,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "token_a": token_a,
        "token_b": token_b,
    }
    world.update(_customer_world(system, branch_a, branch_b, make_user))
    return world


def _customer_world(system, branch_a, branch_b, make_user) -> dict:
    from amanah.customers import merge
    from amanah.customers.models import DuplicateFlag
    from amanah.customers.services import CustomerInput, customer_create

    def pair(branch, phone):
        people = [
            customer_create(
                actor=system,
                data=CustomerInput(full_name="Rina Lubis", home_branch=branch, phone=phone),
            )
            for _ in range(2)
        ]
        return (*people, DuplicateFlag.objects.get(customer_a__in=people, customer_b__in=people))

    a1, a2, flag_a = pair(branch_a, "081311110001")
    b1, b2, flag_b = pair(branch_b, "081311110002")
    proposer = make_user(R.SUPERVISOR, branches=[branch_a, branch_b])
    merge_a = merge.merge_propose(
        actor=proposer, survivor=a1, absorbed=a2, reason="data ganda dari impor"
    )
    merge_b = merge.merge_propose(
        actor=proposer, survivor=b1, absorbed=b2, reason="data ganda dari impor"
    )
    return {
        "customer_a": a1,
        "customer_b": b1,
        "flag_a": flag_a,
        "flag_b": flag_b,
        "merge_a": merge_a,
        "merge_b": merge_b,
    }


def _call(client: Client, case: ViewCase, world: dict, kwargs: dict):
    url = reverse(case.url_name, kwargs=kwargs)
    if case.method == "post":
        return client.post(url, case.data(world))
    return client.get(url)


def test_every_guarded_route_has_a_case():
    guarded = {r.name for r in routes.url_routes() if r.permission not in (PUBLIC, SIGNED_IN)}
    covered = {c.url_name.split(":", 1)[1] for c in CASES}
    assert guarded - covered == set()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_anonymous_is_sent_to_login(case, world, client):
    response = _call(client, case, world, case.kwargs(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("iam:login"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_without_permission_is_forbidden(case, world, make_user):
    # The same role that passes below, with only this one grant taken out of the matrix.
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    RolePermission.objects.filter(permission=case.permission).delete()
    response = _call(sign_in(Client(), user), case, world, case.kwargs(world))
    assert response.status_code == 403


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_with_permission_is_allowed(case, world, make_user):
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    response = _call(sign_in(Client(), user), case, world, case.kwargs(world))
    assert response.status_code in case.ok_status


@pytest.mark.parametrize("case", [c for c in CASES if c.out_of_scope], ids=lambda c: c.id)
def test_out_of_scope_is_not_found(case, world, make_user):
    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    response = _call(sign_in(Client(), user), case, world, case.out_of_scope(world))
    assert response.status_code == 404


@pytest.mark.parametrize("case", [c for c in CASES if c.out_of_scope], ids=lambda c: c.id)
def test_missing_object_is_not_found_too(case, world, make_user):
    import uuid

    user = make_user(case.permitted_role(), branches=[world["branch_a"]])
    # Same shape, pointing at nothing: a fresh uuid, an unused integer id; other parts kept.
    kwargs = {
        k: uuid.uuid4() if isinstance(v, uuid.UUID) else 10**9 if isinstance(v, int) else v
        for k, v in case.kwargs(world).items()
    }
    response = _call(sign_in(Client(), user), case, world, kwargs)
    assert response.status_code == 404
