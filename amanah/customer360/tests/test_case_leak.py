"""Issue 11 item 7: opening a customer does not open that customer's cases.

The RM may know only "open case: yes/no" (seed 003 Bab 6.3.4); an agent sees only the cases
they created or were given, like the case page (which answers 404 for the others).
"""

import pytest
from django.test import Client

from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.customer360.selectors import customer_360
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.iam import services as iam

NOTE = "Catatan internal: nasabah diduga korban social engineering, jangan diinfokan"
DESCRIPTION = "Transfer ke rekening lain gagal tetapi saldo terpotong Rp 2.500.000."


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system, data=CustomerInput(full_name="Rahmat Hidayat Lubis", home_branch=branch_a)
    )


@pytest.fixture
def case(customer, make_user, branch_a):
    handler = make_user(R.AGENT, branches=[branch_a])
    opened = cases.case_create(
        actor=handler,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description=DESCRIPTION,
        ),
    )
    cases.case_add_note(actor=handler, case=opened, message=NOTE)
    return opened


@pytest.fixture
def rm(customer, make_user, branch_a):
    rm = make_user(R.RM, branches=[branch_a])
    portfolio_assign(actor=make_user(R.SUPERVISOR, branches=[branch_a]), customer=customer, rm=rm)
    return rm


def token_for(user, role):
    raw = iam.api_token_create(actor=SystemActor("t"), user=user, role=role, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def pages(user, customer):
    """Every 360 surface that could show case content, HTML and API."""
    client = sign_in(Client(), user)
    base = f"/customers/{customer.pk}/"
    html = [
        client.get(base),
        client.get(base, {"tab": "cases"}),
        client.get(f"{base}timeline/", {"kind": "CASE"}),
        client.get(f"{base}timeline/"),
    ]
    api = Client()
    role = user.active_role
    headers = token_for(user, role)
    json = [
        api.get(f"/api/v1/customers/{customer.pk}/timeline", {"kind": "CASE"}, **headers),
        api.get(f"/api/v1/customers/{customer.pk}/timeline", **headers),
        api.get(f"/api/v1/customers/{customer.pk}/summary", **headers),
    ]
    for response in html + json:
        assert response.status_code == 200, response.content[:300]
    return [r.content.decode() for r in html + json]


def test_the_rm_reads_no_case_note_only_that_a_case_is_open(case, rm, customer):
    for body in pages(rm, customer):
        assert NOTE[:40] not in body and DESCRIPTION[:30] not in body
        assert case.case_no not in body
    view = customer_360(actor=rm, customer_id=customer.pk)
    assert view.facts["has_open_case"] is True
    assert view.facts["open_cases"] == [] and list(view.facts["cases"]) == []
    assert "OPEN_CASE" in [a.code for a in view.alerts]


def test_an_agent_reads_no_note_of_a_case_they_cannot_open(case, customer, make_user, branch_a):
    colleague = make_user(R.AGENT, branches=[branch_a])
    assert sign_in(Client(), colleague).get(f"/cases/{case.pk}/").status_code == 404
    for body in pages(colleague, customer):
        assert NOTE[:40] not in body and DESCRIPTION[:30] not in body
        assert case.case_no not in body


def test_whoever_may_open_the_case_still_reads_its_notes(case, customer, make_user, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    bodies = pages(supervisor, customer)
    assert NOTE[:40] in bodies[2] and case.case_no in bodies[1]
