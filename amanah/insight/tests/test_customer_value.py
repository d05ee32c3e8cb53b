"""The customer's value on the 360: badge, CLV indicator, the "Nilai Nasabah" card with the
breakdown and reason, the insight alerts in severity order, and the ADMIN's run page."""

from __future__ import annotations

from django.test import Client
from django.utils import translation

from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.iam.models import RolePermission
from amanah.insight.models import RfmRun
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book


def _page(user, customer) -> str:
    response = sign_in(Client(), user).get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_rm_sees_badge_clv_and_card_with_reason(system, make_customer, make_user, branch_a):
    customer = make_customer(is_vip=True)
    rm = make_user(R.RM, branches=[branch_a])
    portfolio_assign(actor=system, customer=customer, rm=rm)
    book(system, customer, days_ago=2, amount=3_000_000, count=55)
    rfm_run_compute(actor=system)
    page = _page(rm, customer)
    assert 'data-testid="rfm-badge"' in page and "RFM: Juara" in page
    assert 'data-testid="clv-badge"' in page and "Sangat tinggi" in page
    assert 'data-testid="customer-value"' in page
    assert "R=5, F=5, M=5 → Juara" in page
    # The "Ringkasan 30 detik" names the segment with its reason (issue 13, RM Copilot).
    summary = page.split('data-testid="summary30"')[1].split("</article>")[0]
    assert 'data-testid="summary-rfm"' in summary and "Juara" in summary
    assert "R=5, F=5, M=5 → Juara" in summary
    assert "Rp 165.000.000" in page
    assert "WIB" in page  # computed-at in the branch zone


def test_a_role_without_the_permission_or_the_scope_sees_no_value(
    system, make_customer, make_user, branch_a, branch_b
):
    customer = make_customer()
    book(system, customer, days_ago=2, amount=1_000, count=1)
    rfm_run_compute(actor=system)
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    assert "rfm-badge" in _page(supervisor, customer)
    RolePermission.objects.filter(permission="insight.rfm.view").delete()  # the matrix decides
    page = _page(supervisor, customer)
    assert 'data-testid="customer-value"' not in page and "rfm-badge" not in page
    assert "summary-rfm" not in page
    # Out of scope: the page itself is a 404, so nothing leaks.
    other = make_user(R.SUPERVISOR, branches=[branch_b])
    assert sign_in(Client(), other).get(f"/customers/{customer.pk}/").status_code == 404


def test_alerts_come_in_severity_order_and_say_why(system, make_customer, make_user, branch_a):
    customer = make_customer(is_vip=True)
    book(system, customer, days_ago=200, amount=30_000_000, count=6)  # AT_RISK
    rfm_run_compute(actor=system)
    agent = make_user(R.AGENT, branches=[branch_a])
    case = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="HIGH",
            description="Transfer gagal tetapi saldo terpotong, mohon dicek.",
        ),
    )
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    page = _page(supervisor, customer)
    codes = [chunk.split('"')[0] for chunk in page.split('data-alert="')[1:]]
    assert {"HIGH_PRIORITY_CASE", "AT_RISK_SEGMENT", "VIP_CUSTOMER", "OPEN_CASE"} <= set(codes)
    levels = {"OPEN_CASE": 1, "HIGH_PRIORITY_CASE": 1, "VIP_CUSTOMER": 2, "AT_RISK_SEGMENT": 2}
    ranks = [levels[c] for c in codes if c in levels]
    assert ranks == sorted(ranks)
    assert f"{case.case_no} (Tinggi)" in page
    assert "R=1, F=2, M=4 → Berisiko" in page or "→ Berisiko" in page


def test_admin_runs_rfm_from_the_page_and_sees_distribution(system, make_customer, make_user):
    customer = make_customer()
    book(system, customer, days_ago=1, amount=1_000, count=1)
    admin = make_user(R.ADMIN)
    client = sign_in(Client(), admin)
    response = client.post("/insight/rfm/run/")
    assert response.status_code == 303
    assert RfmRun.objects.get().trigger == "MANUAL"
    page = client.get("/insight/rfm/").content.decode()
    assert 'data-testid="rfm-distribution"' in page and "Potensial" in page


def test_the_card_speaks_english(system, make_customer, make_user, branch_a):
    customer = make_customer()
    book(system, customer, days_ago=1, amount=1_000, count=1)
    rfm_run_compute(actor=system)
    user = make_user(R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), user)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Customer value" in page and "Potential" in page
    assert "Nilai Nasabah" not in page


def test_the_seven_alert_types_of_the_seed_by_name_severity_and_reason(
    system, make_customer, make_user, branch_a
):
    """Seed 001 §7: CONSENT_WITHDRAWN, OVERDUE_SLA, FRAUD_FLAG critical ("danger"); OPEN_CASE,
    HIGH_PRIORITY_CASE warning; VIP_CUSTOMER, AT_RISK_SEGMENT info — each saying why."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.cases.models import Case
    from amanah.consent.services import consent_change
    from amanah.customers.models import Customer

    customer = make_customer(is_vip=True)
    Customer.objects.filter(pk=customer.pk).update(fraud_flag=True)
    book(system, customer, days_ago=200, amount=30_000_000, count=6)  # AT_RISK
    rfm_run_compute(actor=system)
    agent = make_user(R.AGENT, branches=[branch_a])
    consent_change(
        actor=agent,
        customer=customer,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    case = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="HIGH",
            description="Transfer gagal tetapi saldo terpotong, mohon dicek.",
        ),
    )
    Case.objects.filter(pk=case.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    page = _page(make_user(R.SUPERVISOR, branches=[branch_a]), customer)
    shown = {}
    for chunk in page.split('class="alert alert-')[1:]:
        level, rest = chunk.split('"', 1)
        code = rest.split('data-alert="')[1].split('"')[0]
        body = rest.split("</div>")[0]
        shown[code] = (level, " — " in body and body.split(" — ", 1)[1].strip())
    expected = {
        "CONSENT_WITHDRAWN": "danger",
        "OVERDUE_SLA": "danger",
        "FRAUD_FLAG": "danger",
        "OPEN_CASE": "warning",
        "HIGH_PRIORITY_CASE": "warning",
        "VIP_CUSTOMER": "info",
        "AT_RISK_SEGMENT": "info",
    }
    assert {code: shown[code][0] for code in expected} == expected
    assert all(shown[code][1] for code in expected), shown  # each says why
    assert case.case_no in shown["OVERDUE_SLA"][1] and "→ Berisiko" in shown["AT_RISK_SEGMENT"][1]
    order = [c for c in shown if c in expected]
    rank = {"danger": 0, "warning": 1, "info": 2}
    assert [rank[expected[c]] for c in order] == sorted(rank[expected[c]] for c in order)
