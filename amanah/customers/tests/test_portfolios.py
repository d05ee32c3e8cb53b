"""Issue 50 item 4, portfolios: a customer is put in an RM's portfolio, moved, taken out and
moved in bulk — by page, API and import — with history, audit and an event; the RM's scope
(search, 360) follows at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.customers import services
from amanah.customers.models import PortfolioAssignment
from amanah.customers.selectors import customer_for, customer_search
from amanah.customers.tests.test_api import token_for
from amanah.integrations import imports
from amanah.integrations.models import ImportRowError, ImportStatus

pytestmark = pytest.mark.django_db
REASON = "RM lama pindah ke kantor pusat"


@pytest.fixture
def rizky(make_customer):
    return make_customer("Muhammad Rizky Siregar", cif="CIF0042")


@pytest.fixture
def rms(make_user, branch_a):
    return [make_user(R.RM, branches=[branch_a], username=f"rm.medan{n}") for n in (1, 2)]


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def changed():
    seen = []
    handler = EventHandler(
        services.PORTFOLIO_CHANGED, lambda *, actor, customer_ids: seen.append(set(customer_ids))
    )
    with registry.event_handlers.temporarily("customers.portfolio_changed:test", handler):
        yield seen


def _sees(rm, customer) -> bool:
    try:
        customer_for(actor=rm, customer_id=customer.pk)
    except NotFound:
        return False
    return [h.customer for h in customer_search(actor=rm, query="Rizky Siregar")] == [customer]


def test_a_supervisor_assigns_on_the_page_and_the_rm_sees_the_customer_at_once(
    supervisor, rizky, rms, changed
):
    rm1, _rm2 = rms
    assert not _sees(rm1, rizky)  # an RM sees its portfolio only: empty before
    client = sign_in(Client(), supervisor)
    page = client.get(f"/customers/{rizky.pk}/portfolio/").content.decode()
    assert "rm.medan1" in page and "belum ada" in page
    response = client.post(f"/customers/{rizky.pk}/portfolio/", {"rm": str(rm1.pk), "reason": ""})
    assert response.status_code == 303
    assert _sees(rm1, rizky)
    row = AuditLog.objects.get(action="ASSIGN_PORTFOLIO", object_id=str(rizky.pk))
    assert (row.actor_id, row.meta["rm"], row.meta["previous_rm"]) == (
        str(supervisor.pk),
        "rm.medan1",
        None,
    )
    assert changed == [{rizky.pk}]


def test_a_transfer_moves_scope_and_keeps_the_history(supervisor, rizky, rms):
    rm1, rm2 = rms
    services.portfolio_assign(actor=supervisor, customer=rizky, rm=rm1)
    services.portfolio_assign(actor=supervisor, customer=rizky, rm=rm2, reason=REASON)
    assert not _sees(rm1, rizky) and _sees(rm2, rizky)
    old, new = PortfolioAssignment.objects.filter(customer=rizky).order_by("assigned_at", "pk")
    assert (old.active, old.ended_by, old.end_reason) == (False, supervisor, REASON)
    assert (new.active, new.rm, new.assigned_by, new.reason) == (True, rm2, supervisor, REASON)
    # the same RM again changes nothing
    again = services.portfolio_assign(actor=supervisor, customer=rizky, rm=rm2)
    assert again.pk == new.pk
    assert AuditLog.objects.filter(action="ASSIGN_PORTFOLIO").count() == 2


def test_only_an_rm_covering_the_branch_may_hold_the_customer(
    supervisor, rizky, make_user, branch_b
):
    for other in (make_user(R.AGENT), make_user(R.RM, branches=[branch_b])):
        with pytest.raises(ServiceError) as refused:
            services.portfolio_assign(actor=supervisor, customer=rizky, rm=other)
        assert refused.value.code == "not_an_rm"
    assert not PortfolioAssignment.objects.exists()


def test_out_of_scope_or_without_permission_changes_nothing(rizky, rms, make_user, branch_b):
    with pytest.raises(NotFound):
        services.portfolio_assign(
            actor=make_user(R.SUPERVISOR, branches=[branch_b]), customer=rizky, rm=rms[0]
        )
    with pytest.raises(PermissionDenied):
        services.portfolio_assign(actor=make_user(R.AGENT), customer=rizky, rm=rms[0])
    assert not PortfolioAssignment.objects.exists()


def test_release_needs_a_reason(supervisor, rizky, rms):
    services.portfolio_assign(actor=supervisor, customer=rizky, rm=rms[0])
    client = sign_in(Client(), supervisor)
    url = f"/customers/{rizky.pk}/portfolio/release/"
    page = client.post(url, {"reason": "pendek"}, follow=True).content.decode()
    assert "minimal 10 karakter" in page and _sees(rms[0], rizky)
    client.post(url, {"reason": REASON})
    assert not _sees(rms[0], rizky)
    assert AuditLog.objects.filter(action="RELEASE_PORTFOLIO").count() == 1


def test_a_bulk_move_takes_the_rms_customers_in_scope_with_one_audit_row(
    supervisor, rms, make_customer, branch_b, changed
):
    rm1, rm2 = rms
    mine = [make_customer(f"Nasabah {n}") for n in range(3)]
    for customer in mine:
        services.portfolio_assign(actor=supervisor, customer=customer, rm=rm1)
    client = sign_in(Client(), supervisor)
    page = client.get(f"/customers/portfolios/{rm1.pk}/").content.decode()
    assert all(c.full_name in page for c in mine)
    response = client.post(
        f"/customers/portfolios/{rm1.pk}/transfer/",
        {"to_rm": str(rm2.pk), "reason": REASON, "customers": [str(mine[0].pk), str(mine[1].pk)]},
    )
    assert response.status_code == 303
    active = dict(PortfolioAssignment.objects.filter(active=True).values_list("customer", "rm"))
    assert active == {mine[0].pk: rm2.pk, mine[1].pk: rm2.pk, mine[2].pk: rm1.pk}
    (row,) = AuditLog.objects.filter(action="TRANSFER_PORTFOLIO")
    assert row.meta["count"] == 2 and row.meta["to_rm"] == "rm.medan2"
    moved = services.portfolio_transfer(actor=supervisor, from_rm=rm1, to_rm=rm2, reason=REASON)
    assert moved == 1 and not PortfolioAssignment.objects.filter(active=True, rm=rm1).exists()
    assert changed[-2:] == [{mine[0].pk, mine[1].pk}, {mine[2].pk}]


def test_the_rm_lists_its_own_portfolio(supervisor, rizky, rms):
    services.portfolio_assign(actor=supervisor, customer=rizky, rm=rms[0])
    mine = sign_in(Client(), rms[0]).get("/customers/portfolios/mine/").content.decode()
    other = sign_in(Client(), rms[1]).get("/customers/portfolios/mine/").content.decode()
    assert rizky.full_name in mine and rizky.full_name not in other


def test_the_api_assigns_moves_and_answers_the_history(supervisor, rizky, rms):
    token = token_for(supervisor, "SUPERVISOR")
    url = f"/api/v1/customers/{rizky.pk}/portfolio"
    body = Client().put(url, {"rm": "rm.medan1"}, content_type="application/json", **token)
    assert body.status_code == 200 and body.json()["rm"] == "rm.medan1"
    refused = Client().put(url, {"rm": "tidak.ada"}, content_type="application/json", **token)
    assert refused.status_code == 400 and refused.json()["code"] == "not_an_rm"
    moved = Client().post(
        "/api/v1/customers/portfolio-transfers",
        {"from_rm": "rm.medan1", "to_rm": "rm.medan2", "reason": REASON},
        content_type="application/json",
        **token,
    )
    assert moved.json() == {"moved": 1}
    history = Client().get(url, **token).json()
    assert history["rm"] == "rm.medan2" and [h["active"] for h in history["history"]] == [
        True,
        False,
    ]


def _import(actor, text: str):
    batch = imports.import_batch_create(
        actor=actor, target="customers.portfolios", file_name="p.csv", content=text.encode()
    )
    imports.import_mapping_set(
        actor=actor, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    imports.batch_check(batch.pk)
    batch.refresh_from_db()
    if batch.status == ImportStatus.VALID:
        imports.import_batch_run(actor=actor, batch_id=batch.pk)
        imports.batch_run(batch.pk)
        batch.refresh_from_db()
    return batch


def test_the_portfolio_import_assigns_moves_and_is_idempotent(system, rizky, rms, make_customer):
    other = make_customer("Siti Aminah", cif="CIF0043")
    text = "CIF;RM (nama pengguna);Alasan\nCIF0042;rm.medan1;\ncif0043;rm.medan1;awal\n"
    batch = _import(system, text)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (2, 0)
    assert _sees(rms[0], rizky)
    again = _import(system, text.replace("cif0043;rm.medan1", "cif0043;rm.medan2"))
    assert (again.created_rows, again.unchanged_rows) == (1, 1)
    assert PortfolioAssignment.objects.get(customer=other, active=True).rm == rms[1]
    assert PortfolioAssignment.objects.filter(customer=other).count() == 2
    wrong = _import(system, "CIF;RM (nama pengguna)\nCIF0042;bukan.rm\nCIF9999;rm.medan1\n")
    assert wrong.status == ImportStatus.INVALID
    errors = set(ImportRowError.objects.filter(batch=wrong).values_list("line", "column"))
    assert errors == {(2, "RM (nama pengguna)"), (3, "CIF")}
