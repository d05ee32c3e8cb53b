"""Fixtures of the messaging tests: a loopback SMTP server and customers with addresses."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from amanah.consent.testing import grant_marketing
from amanah.customers.models import Customer
from amanah.messaging.testing import smtp_server  # noqa: F401 (fixture)

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # every contact window open
TUESDAY_2230 = datetime(2026, 11, 24, 22, 30, tzinfo=WIB)  # every window closed


@pytest.fixture(autouse=True)
def _messaging_settings(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True
    settings.CONTACT_WINDOWS = {
        "OFFER": {"weekdays": [0, 1, 2, 3, 4, 5], "hours": ["08:00", "18:00"], "holidays": True},
        "SERVICE": {"weekdays": [0, 1, 2, 3, 4, 5, 6], "hours": ["07:00", "21:00"],
                    "holidays": False},
    }  # fmt: skip


@pytest.fixture
def make_customers(branch_a):
    def make(count: int, *, email: bool = True, granted: bool = False) -> list[Customer]:
        start = Customer.objects.count()
        customers = Customer.objects.bulk_create(
            Customer(
                full_name=f"Nasabah Pesan {start + n}",
                name_search=f"nasabah pesan {start + n}",
                home_branch=branch_a,
                email=f"nasabah{start + n}@contoh.co.id" if email else "",
            )
            for n in range(count)
        )
        if granted:
            grant(customers)
        return sorted(customers, key=lambda c: c.pk)

    return make


grant = grant_marketing  # the tests' short name
