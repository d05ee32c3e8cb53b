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
]


@pytest.fixture
def world(db, branch_a, branch_b, make_user):
    system = SystemActor("system:test")
    staff_a = make_user(R.AGENT, branches=[branch_a], email="staf.a@bank.co.id")
    staff_b = make_user(R.AGENT, branches=[branch_b], email="staf.b@bank.co.id")
    token_a, _ = iam.api_token_create(actor=system, user=staff_a, role="AGENT", name="a")
    token_b, _ = iam.api_token_create(actor=system, user=staff_b, role="AGENT", name="b")
    return {
        "branch_a": branch_a,
        "branch_b": branch_b,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "token_a": token_a,
        "token_b": token_b,
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
    kwargs = {k: uuid.uuid4() for k in case.kwargs(world)}
    response = _call(sign_in(Client(), user), case, world, kwargs)
    assert response.status_code == 404
