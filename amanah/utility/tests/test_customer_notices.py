"""Customer notices through the messaging hub: bill issued, installment due, late fee and
arrears — each at most once per bill / installment / fee / connection-month, each asked to the
one contactability rule with its purpose (a channel the customer did not prefer is refused)."""

from __future__ import annotations

import datetime as dt

import pytest

from amanah.consent.contract import contact_preference_set
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.messaging.models import Message
from amanah.utility import testing
from amanah.utility.models import Bill, CustomerNotice, Installment, LateFee
from amanah.utility.notices import customer_notices_run

TODAY = dt.date(2026, 11, 25)


def _customer(branch, name, **contact):
    return customer_create(
        actor=testing.SYSTEM,
        data=CustomerInput(full_name=name, home_branch=branch, **contact),
    )


def _bill(conn, period, *, issued, due, total=50_000):
    return Bill.objects.create(
        connection=conn,
        period=period,
        previous_reading=100,
        reading=110,
        usage_m3=10,
        water_amount=total - 10_000,
        fixed_charge=10_000,
        total=total,
        issued_on=issued,
        due_on=due,
    )


@pytest.fixture
def world(db, branch_a):
    """One pelanggan with every kind of notice due on TODAY."""
    siti = _customer(branch_a, "Siti Pelanggan", phone="+6281234567001")
    conn = testing.connection(branch_a, customer=siti)
    new_bill = _bill(conn, dt.date(2026, 11, 1), issued=TODAY, due=TODAY + dt.timedelta(days=20))
    old_bill = _bill(
        conn, dt.date(2026, 9, 1), issued=dt.date(2026, 9, 5), due=dt.date(2026, 9, 25)
    )
    installation = testing.installation(branch_a)
    applicant = installation.connection.customer
    applicant.phone_e164 = "+6281234567002"
    applicant.save(update_fields=["phone_e164"])
    due_soon = Installment.objects.create(
        installation=installation, seq=2, due_on=TODAY + dt.timedelta(days=2), amount=300_000
    )
    late = Installment.objects.create(
        installation=installation,
        seq=1,
        due_on=TODAY - dt.timedelta(days=40),
        amount=300_000,
        late_fee=6_000,
    )
    fee = LateFee.objects.create(installment=late, months_late=1, amount=6_000, assessed_on=TODAY)
    return {
        "siti": siti,
        "conn": conn,
        "applicant": applicant,
        "refs": {
            ("BILL_ISSUED", str(new_bill.pk)),
            ("ARREARS", f"{conn.pk}:2026-11"),
            ("INSTALLMENT_DUE", str(due_soon.pk)),
            ("LATE_FEE", str(fee.pk)),
        },
        "old_bill": old_bill,
    }


def _notices():
    return {(n.kind, n.ref) for n in CustomerNotice.objects.all()}


def test_each_notice_once_in_indonesian_and_a_second_run_sends_nothing(world, make_user, branch_a):
    first = customer_notices_run(as_of=TODAY)
    assert first == {"BILL_ISSUED": 1, "INSTALLMENT_DUE": 1, "LATE_FEE": 1, "ARREARS": 1}
    assert _notices() == world["refs"]
    messages = Message.objects.filter(source="SYSTEM", source_id__startswith="utility.")
    assert messages.count() == 4
    texts = {m.source_id.split(":")[0]: m for m in messages}
    bill = texts["utility.bill_issued"]
    assert bill.purpose == "SERVICE" and "Tagihan air sambungan" in bill.text
    assert "Rp 50.000" in bill.text
    assert texts["utility.arrears"].purpose == "COLLECTION"
    assert "tunggakan Rp 50.000 (1 rekening)" in texts["utility.arrears"].text
    assert "Denda keterlambatan Rp 6.000" in texts["utility.late_fee"].text
    assert "Angsuran ke-2" in texts["utility.installment_due"].text
    assert all(n.message_id for n in CustomerNotice.objects.all())

    # a second run, even the next day and after a preference changed, sends nothing again
    agent = make_user(R.AGENT, branches=[branch_a])
    contact_preference_set(
        actor=agent, customer=world["siti"], purpose="SERVICE", channel="WHATSAPP"
    )
    again = customer_notices_run(as_of=TODAY + dt.timedelta(days=1))
    assert again == {"BILL_ISSUED": 0, "INSTALLMENT_DUE": 0, "LATE_FEE": 0, "ARREARS": 0}
    assert messages.count() == 4
    # next month the arrears are told again (one per connection and month)
    later = customer_notices_run(as_of=dt.date(2026, 12, 2))
    assert later["ARREARS"] == 1


def test_small_batches_reach_everything_exactly_once(world):
    assert sum(customer_notices_run(as_of=TODAY, batch=1).values()) == 4
    assert CustomerNotice.objects.count() == 4


def test_the_preferred_channel_is_used_and_another_is_refused_as_not_preferred(
    world, make_user, branch_a
):
    agent = make_user(R.AGENT, branches=[branch_a])
    # Siti wants bills on WhatsApp (her phone reaches it); the applicant wants collection by
    # email but has none: the fallback SMS is refused by contactability, kept with its reason.
    contact_preference_set(
        actor=agent, customer=world["siti"], purpose="SERVICE", channel="WHATSAPP"
    )
    contact_preference_set(
        actor=agent, customer=world["applicant"], purpose="COLLECTION", channel="EMAIL"
    )
    customer_notices_run(as_of=TODAY)
    notices = {n.kind: n for n in CustomerNotice.objects.all()}
    assert (notices["BILL_ISSUED"].channel, notices["BILL_ISSUED"].outcome) == (
        "WHATSAPP",
        "QUEUED",
    )
    # Siti's arrears (COLLECTION, no preference) go by SMS as before
    assert notices["ARREARS"].channel == "SMS"
    for kind in ("INSTALLMENT_DUE", "LATE_FEE"):
        assert notices[kind].outcome == "CANCELLED:NOT_PREFERRED", kind
        message = Message.objects.get(pk=notices[kind].message_id)
        assert (message.status, message.cancel_reason) == ("CANCELLED", "NOT_PREFERRED")


def test_a_customer_without_any_address_is_recorded_and_not_retried(db, branch_a):
    nobody = _customer(branch_a, "Tanpa Kontak")
    conn = testing.connection(branch_a, customer=nobody)
    _bill(conn, dt.date(2026, 11, 1), issued=TODAY, due=TODAY + dt.timedelta(days=20))
    assert customer_notices_run(as_of=TODAY)["BILL_ISSUED"] == 1
    assert CustomerNotice.objects.get().outcome == "NO_ADDRESS"
    assert customer_notices_run(as_of=TODAY)["BILL_ISSUED"] == 0
    assert not Message.objects.filter(source_id__startswith="utility.").exists()


def test_the_job_is_registered_hourly_and_runs_the_notices(world):
    from procrastinate.contrib.django import app

    from amanah.utility.tasks import customer_notices_job

    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.utility.tasks.customer_notices_job"]
    assert entry.cron == "15 * * * *" and entry.task.queue == "utility"
    assert customer_notices_job.lock == "utility_customer_notices"
    noon = int(dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC).timestamp())  # 12.00 WIB
    assert sum(customer_notices_job(timestamp=noon).values()) == 4
    assert sum(customer_notices_job(timestamp=noon).values()) == 0
