"""The deposit API reads an amount sent as text the way the house reads money (issue 50,
item 5): "500.000" is Rp 500.000 (not 500), "Rp 1.500.000" and "1.500.000,00" are read, a
JSON number is taken as it is, "1,500" is refused with ``rupiah_invalid``, nothing written."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from amanah.core.roles import RoleKey as R
from amanah.followup import services
from amanah.followup.enrolment import configured_rules
from amanah.followup.models import Deposit
from amanah.iam import services as iam

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]


def test_the_deposit_api_reads_amounts_as_written(make_desk, make_customers, make_user, system):
    make_desk(1)
    member = services.member_enrol(
        actor=system,
        customer=make_customers(1)[0],
        entry_reason="NEW_ACCOUNT",
        deposit_target=Decimal("100000000"),
    )
    raw = iam.api_token_create(actor=system, user=make_user(R.ADMIN), role="ADMIN", name="core")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    sent = {"CBS-1": "500.000", "CBS-2": "Rp 1.500.000", "CBS-3": "1.500.000,50", "CBS-4": 75_000}
    for ref, amount in sent.items():
        body = {
            "customer_id": str(member.customer_id),
            "amount": amount,
            "deposited_at": timezone.now().isoformat(),
            "external_ref": ref,
        }
        answer = client.post("/api/v1/followup/deposits", body, content_type="application/json")
        assert answer.status_code == 201, answer.content
    assert dict(Deposit.objects.values_list("external_ref", "amount")) == {
        "CBS-1": Decimal("500000.00"),
        "CBS-2": Decimal("1500000.00"),
        "CBS-3": Decimal("1500000.50"),
        "CBS-4": Decimal("75000.00"),
    }
    unclear = {**body, "external_ref": "CBS-9", "amount": "1,500"}
    refused = client.post("/api/v1/followup/deposits", unclear, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "rupiah_invalid" and refused.json()["field"] == "amount"
    assert "Koma memisahkan sen" in refused.json()["message"]
    assert Deposit.objects.count() == 4


def test_an_enrolment_rules_target_set_with_dots_is_that_amount(settings):
    """``FOLLOWUP_ENROL_NEW_ACCOUNT_TARGET=500.000`` is Rp 500.000, not Rp 500."""
    for written, meant in (("500.000", "500000"), ("1.500.000,00", "1500000"), (250_000, "250000")):
        settings.FOLLOWUP_ENROL_RULES = {"NEW_ACCOUNT": {"days": 30, "target": written}}
        assert configured_rules()[0].target == Decimal(meant), written
