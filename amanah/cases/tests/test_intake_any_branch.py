"""Complaints are accepted at any office (issue 16): an agent finds a customer of another
branch by an exact identifier or phone (shown masked) and registers the complaint; the case
belongs to the receiving branch and is seen by the customer's home branch too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import selectors
from amanah.cases import services as cases
from amanah.cases.models import Case
from amanah.cases.testing import complaint
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam.models import RolePermission

FORM = {
    "channel": "BRANCH",
    "category": "TRX_FAIL",
    "priority": "MEDIUM",
    "description": "Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
    "product": "",
    "contact_preference": "",
}


@pytest.fixture
def far_customer(system, branch_b):
    """A customer of KC Pematangsiantar."""
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti Aminah Nasution",
            home_branch=branch_b,
            phone="081370002002",
            cif="CIF2000002",
        ),
    )


def _register(agent, customer) -> Case:
    response = sign_in(Client(), agent).post(
        reverse("cases:intake_create", args=[customer.pk]), FORM
    )
    assert response.status_code == 303, response.content[:800]
    return Case.objects.get(customer=customer)


def test_the_lookup_takes_exact_identifiers_and_phones_only_and_shows_them_masked(
    agent, far_customer
):
    client = sign_in(Client(), agent)
    url = reverse("cases:intake_find")
    for term in ("CIF2000002", "cif 2000002", "0813-7000-2002", "+6281370002002"):
        page = client.get(url, {"q": term})
        assert page.status_code == 200, term
        html = page.content.decode()
        html = html[html.index('data-testid="intake-hits"') :]  # the results, not the box
        html = html[: html.index("</table>")]
        assert "S*** A*** N***" in html and "Siti" not in html, term
        assert "+62 813-****-002" in html and "81370002002" not in html
        assert reverse("cases:intake_create", args=[far_customer.pk]) in html
    for term in ("Siti Aminah", "CIF200000", "0813700020"):
        html = client.get(url, {"q": term}).content.decode()
        assert 'data-testid="intake-none"' in html, term
    audit = AuditLog.objects.filter(object_type="CASE_INTAKE_LOOKUP").last()
    assert "CIF2000002" not in str(audit.meta) and audit.meta["query_hash"]


@pytest.mark.parametrize("q", ["", "ab", "x" * 101, "CIF\x00200", "' OR 1=1 --", "%%%", "😀😀😀"])
def test_hostile_lookups_answer_without_a_5xx(agent, far_customer, q):
    response = sign_in(Client(), agent).get(reverse("cases:intake_find"), {"q": q})
    assert response.status_code in (200, 400)
    assert "Siti" not in response.content.decode()


def test_the_case_belongs_to_the_receiving_branch_and_the_home_branch_sees_it(
    agent, far_customer, make_user, branch_a, branch_b, system
):
    page = sign_in(Client(), agent).get(reverse("cases:intake_create", args=[far_customer.pk]))
    assert page.status_code == 200
    assert "S*** A*** N***" in page.content.decode() and "Siti" not in page.content.decode()

    case = _register(agent, far_customer)
    assert (case.branch_id, case.customer_branch_id) == (branch_a.pk, branch_b.pk)
    assert case.created_by == agent
    created = AuditLog.objects.get(action="CREATE_CASE", object_id=str(case.pk))
    assert created.meta["customer_branch"] == "PMS01"

    home_supervisor = make_user(R.SUPERVISOR, branches=[branch_b])
    receiving_supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    home_agent = make_user(R.AGENT, branches=[branch_b])  # own cases only
    elsewhere = make_user(R.SUPERVISOR, branches=[system_branch(system)])
    for user, sees in (
        (agent, True),
        (home_supervisor, True),
        (receiving_supervisor, True),
        (home_agent, False),
        (elsewhere, False),
    ):
        assert Case.objects.visible_to(user).filter(pk=case.pk).exists() == sees, user
    client = sign_in(Client(), home_supervisor)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert case.case_no in client.get(reverse("cases:queue")).content.decode()
    assert (
        sign_in(Client(), elsewhere).get(reverse("cases:detail", args=[case.pk])).status_code == 404
    )


def system_branch(system):
    from amanah.iam import services as iam
    from amanah.iam.models import TimeZoneChoice

    return iam.branch_save(
        actor=system, code="BLG01", name="KC Balige", timezone_name=TimeZoneChoice.WIB
    )


def test_a_customer_in_scope_goes_the_usual_way(agent, customer, branch_a):
    case = complaint(agent, customer, any_branch=True)
    assert (case.branch_id, case.customer_branch_id) == (branch_a.pk, None)
    hits = selectors.intake_lookup(actor=agent, term="CIF1000003")
    assert [h.in_scope for h in hits] == [True]


def test_without_the_permission_or_the_flag_nothing_is_registered(agent, far_customer):
    from amanah.core.errors import NotFound

    with pytest.raises(NotFound):  # the usual intake stays within scope
        cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=far_customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Saldo terpotong dua kali saat tarik tunai.",
            ),
        )
    assert (
        sign_in(Client(), agent)
        .post(reverse("cases:create", args=[far_customer.pk]), FORM)
        .status_code
        == 404
    )
    RolePermission.objects.filter(role_id=R.AGENT, permission="case.create.any_branch").delete()
    client = sign_in(Client(), agent)
    assert client.get(reverse("cases:intake_find"), {"q": "CIF2000002"}).status_code == 403
    url = reverse("cases:intake_create", args=[far_customer.pk])
    assert client.post(url, FORM).status_code == 403
    assert not Case.objects.exists()


def test_a_merged_or_missing_customer_is_not_found(agent, far_customer, customer):
    Customer.objects.filter(pk=far_customer.pk).update(merged_into=customer)
    client = sign_in(Client(), agent)
    assert client.get(reverse("cases:intake_create", args=[far_customer.pk])).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.post(f"/cases/intake/{missing}/", FORM).status_code == 404
    assert client.get("/cases/intake/not-a-uuid/").status_code == 404
    assert not Case.objects.exists()


def test_a_refused_form_writes_nothing(agent, far_customer):
    client = sign_in(Client(), agent)
    url = reverse("cases:intake_create", args=[far_customer.pk])
    for bad in ({"description": "pendek"}, {"category": "NOPE"}, {"channel": "\x00"}):
        assert client.post(url, {**FORM, **bad}).status_code == 400
    assert not Case.objects.exists()


def test_an_unclear_receiving_branch_is_refused(make_user, far_customer, branch_a, system):
    from amanah.core.errors import ServiceError

    two = make_user(R.AGENT, branches=[branch_a, system_branch(system)])
    type(two).objects.filter(pk=two.pk).update(home_branch=None)
    two.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        cases.case_create(
            actor=two,
            data=cases.CaseInput(
                customer=far_customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Saldo terpotong dua kali saat tarik tunai.",
            ),
            any_branch=True,
        )
    assert refused.value.code == "no_receiving_branch"


def test_the_receiving_branch_sees_the_customer_masked_and_a_supervisor_may_reveal_it(
    agent, far_customer, make_user, branch_a, branch_b, system
):
    case = _register(agent, far_customer)
    for url in (
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:mine") + "?tab=created",
    ):
        html = sign_in(Client(), agent).get(url).content.decode()
        assert "S*** A*** N***" in html and "Siti" not in html, url
    detail = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk]))
    html = detail.content.decode()
    assert 'data-testid="case-customer-masked"' in html
    assert reverse("customer360:workspace", args=[far_customer.pk]) not in html
    assert 'data-testid="reveal-name-form"' not in html  # agents do not reveal
    url = reverse("cases:reveal_customer_name", args=[case.pk])
    assert (
        sign_in(Client(), agent).post(url, {"reason": "konfirmasi nama pengadu"}).status_code == 403
    )

    receiving_supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), receiving_supervisor)
    queue = client.get(reverse("cases:queue")).content.decode()
    assert "S*** A*** N***" in queue and "Siti" not in queue
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="reveal-name-form"' in page and "Siti" not in page
    refused = client.post(url, {"reason": "x"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "Siti" not in refused.content.decode()
    opened = client.post(url, {"reason": "konfirmasi nama pengadu"}, HTTP_HX_REQUEST="true")
    assert opened.status_code == 200 and "Siti Aminah Nasution" in opened.content.decode()
    row = AuditLog.objects.get(action="REVEAL_FIELD", object_id=str(far_customer.pk))
    assert row.meta["field"] == "full_name" and row.meta["via_id"] == str(case.pk)

    home_supervisor = make_user(R.SUPERVISOR, branches=[branch_b])  # their own customer
    home = sign_in(Client(), home_supervisor).get(reverse("cases:detail", args=[case.pk]))
    assert "Siti Aminah Nasution" in home.content.decode()
    outside = make_user(R.SUPERVISOR, branches=[system_branch(system)])
    refused = sign_in(Client(), outside).post(url, {"reason": "konfirmasi nama pengadu"})
    assert refused.status_code == 404
    assert AuditLog.objects.filter(action="REVEAL_FIELD").count() == 1


def test_the_home_branchs_queue_merges_its_own_cases_and_those_taken_elsewhere(
    agent, far_customer, make_user, branch_a, branch_b, system, monkeypatch
):
    """The home branch's supervisor sees two parts (``scopes.visible_parts``): cases handled
    there and cases of its customers taken elsewhere. The queue reads each part's first rows
    in due order and merges them: page by page, every case once, in due order."""
    from datetime import timedelta

    from django.utils import timezone

    taken_elsewhere = [complaint(agent, far_customer, any_branch=True) for _ in range(3)]
    at_home = [complaint(system, far_customer) for _ in range(3)]
    assert {c.customer_branch_id for c in taken_elsewhere} == {branch_b.pk}
    assert {c.branch_id for c in at_home} == {branch_b.pk}
    # Due times interleaved across the parts, two cases sharing one (the id decides).
    start = timezone.now() + timedelta(days=1)
    order = [at_home[0], taken_elsewhere[0], taken_elsewhere[1], at_home[1], at_home[2]]
    order += [taken_elsewhere[2]]
    for hours, case in enumerate(order):
        Case.objects.filter(pk=case.pk).update(sla_due_at=start + timedelta(hours=hours // 2 * 2))
    expected = sorted(order, key=lambda c: (start + timedelta(hours=order.index(c) // 2 * 2), c.pk))

    supervisor = make_user(R.SUPERVISOR, branches=[branch_b])
    monkeypatch.setattr(selectors.worklists, "PAGE_SIZE", 2)
    seen, after = [], None
    for _page in range(4):
        rows, after = selectors.queue_page(
            actor=supervisor, filters=selectors.QueueFilter(), after=after
        )
        seen += [c.pk for c in rows]
        if after is None:
            break
    assert seen == [c.pk for c in expected]
