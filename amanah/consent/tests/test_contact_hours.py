"""consent.contact_hours: the collection window a device carries offline is the very window
``contactability`` checks — every moment tried agrees, holidays and zones included."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from amanah.consent.contract import ContactChannel, Purpose, Reason, contact_hours, contactability
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

WIB = ZoneInfo("Asia/Jakarta")
# A Friday, the Saturday, the Sunday, then Monday 17 August 2026 (Independence Day).
FIRST = datetime(2026, 8, 14, 0, 0, tzinfo=WIB)


@pytest.fixture
def customers(db, system, branch_a):
    wita = iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
    )
    return [
        customer_create(
            actor=system,
            data=CustomerInput(full_name=f"Nasabah {n}", home_branch=branch, cif=f"CH{n:04d}"),
        )
        for n, branch in enumerate((branch_a, wita))
    ]


def _inside(windows, moment) -> bool:
    return any(start <= moment < end for start, end in windows)


def test_the_windows_agree_with_contactability_hour_by_hour(customers):
    for customer in customers:
        windows = contact_hours(customer, Purpose.COLLECTION, FIRST, days=4)
        assert windows, "Friday and Saturday have collection hours"
        for hour in range(0, 4 * 24):
            moment = FIRST + timedelta(hours=hour, minutes=30)
            answer = contactability(customer, Purpose.COLLECTION, ContactChannel.VISIT, at=moment)
            outside = Reason.OUTSIDE_WINDOW in answer.reasons
            assert _inside(windows, moment) is not outside, (customer.cif, moment)


def test_no_window_for_the_purpose_is_none(customers, settings):
    settings.CONTACT_WINDOWS = {}
    assert contact_hours(customers[0], Purpose.COLLECTION, FIRST) is None
