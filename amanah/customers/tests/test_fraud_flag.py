"""Issue 50 item 4, the fraud flag: set and cleared with a reason by compliance (the page, by
CIF; a fraud system by API), and then the 360's critical FRAUD_FLAG alert fires."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customer360.selectors import customer_360
from amanah.customers import services
from amanah.customers.models import FraudFlagChange
from amanah.integrations.testing import make_system

pytestmark = pytest.mark.django_db
REASON = "Laporan kepolisian: rekening penampung penipuan"


@pytest.fixture
def rina(make_customer):
    return make_customer("Rina Lubis", cif="CIF0700")


@pytest.fixture
def compliance(make_user, branch_a):
    return make_user(R.COMPLIANCE, branches=[branch_a])


def _alerts(agent, customer) -> list[str]:
    return [a.code for a in customer_360(actor=agent, customer_id=customer.pk).alerts]


def test_compliance_flags_by_cif_and_the_360_alert_fires(compliance, rina, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    assert "FRAUD_FLAG" not in _alerts(agent, rina)
    client = sign_in(Client(), compliance)
    response = client.post(
        "/customers/fraud/", {"cif": "cif0700", "flagged": "1", "reason": REASON}, follow=True
    )
    page = response.content.decode()
    assert "Tanda fraud dipasang." in page and "R*** L***" in page and "Rina Lubis" not in page
    assert "FRAUD_FLAG" in _alerts(agent, rina)
    workspace = sign_in(Client(), agent).get(f"/customers/{rina.pk}/").content.decode()
    assert 'data-alert="FRAUD_FLAG"' in workspace
    change = FraudFlagChange.objects.get()
    assert (change.flagged, change.reason, change.actor) == (True, REASON, compliance)
    row = AuditLog.objects.get(action="SET_FRAUD_FLAG", object_id=str(rina.pk))
    assert REASON not in str(row.meta) and row.meta["reason_length"] == len(REASON)


def test_clearing_needs_a_reason_and_keeps_the_history(compliance, rina):
    services.fraud_flag_set(actor=compliance, customer=rina, flagged=True, reason=REASON)
    client = sign_in(Client(), compliance)
    url = f"/customers/fraud/{rina.pk}/clear/"
    assert "minimal 10 karakter" in client.post(url, {"reason": "x"}, follow=True).content.decode()
    rina.refresh_from_db()
    assert rina.fraud_flag is True
    client.post(url, {"reason": "Laporan dicabut pelapor"})
    rina.refresh_from_db()
    assert rina.fraud_flag is False
    assert list(FraudFlagChange.objects.order_by("at").values_list("flagged", flat=True)) == [
        True,
        False,
    ]
    with pytest.raises(ServiceError) as again:
        services.fraud_flag_set(actor=compliance, customer=rina, flagged=False, reason=REASON)
    assert again.value.code == "fraud_flag_unchanged"


def test_only_compliance_and_only_in_its_branches(make_user, rina, branch_b):
    for role in (R.AGENT, R.SUPERVISOR, R.DATA_STEWARD, R.RM):
        with pytest.raises(PermissionDenied):
            services.fraud_flag_set(
                actor=make_user(role, branches=[rina.home_branch]),
                customer=rina,
                flagged=True,
                reason=REASON,
            )
    with pytest.raises(NotFound):
        services.fraud_flag_set(
            actor=make_user(R.COMPLIANCE, branches=[branch_b]),
            customer=rina,
            flagged=True,
            reason=REASON,
        )
    client = sign_in(Client(), make_user(R.AGENT, branches=[rina.home_branch]))
    assert client.get("/customers/fraud/").status_code == 403
    rina.refresh_from_db()
    assert rina.fraud_flag is False and not FraudFlagChange.objects.exists()


def test_a_fraud_system_flags_by_api(rina):
    raw = make_system("fraud-engine", permissions=["customer.fraud.flag"], all_branches=True)[2]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {"cif": "CIF0700", "flagged": True, "reason": REASON}
    answer = Client().post(
        "/api/v1/customers/fraud-flag", body, content_type="application/json", **headers
    )
    assert answer.status_code == 200 and answer.json()["flagged"] is True
    rina.refresh_from_db()
    assert rina.fraud_flag is True
    assert FraudFlagChange.objects.get().actor_label == "integration:fraud-engine"
    unknown = Client().post(
        "/api/v1/customers/fraud-flag", {**body, "cif": "CIF0000"},
        content_type="application/json", **headers,
    )  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["field"] == "cif"
