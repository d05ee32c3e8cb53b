"""Consent changes of one customer are serialized (issue 11 item 2).

Before the fix, two first-ever changes both found no state row to lock, both recorded old
status ``''`` and the state could disagree with the latest history row.
"""

from amanah.consent.models import ConsentRecord, ConsentState
from amanah.consent.services import consent_change
from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.core.errors import ServiceError

THREADS = 8


def test_simultaneous_changes_form_one_chain(committed):  # noqa: F811 (fixture)
    customer = committed.customers(1)[0]

    def change(n: int) -> None:
        for round_ in range(3):
            try:
                consent_change(
                    actor=committed.system,
                    customer=customer,
                    consent_type="MARKETING",
                    new_status="GRANTED" if (n + round_) % 2 == 0 else "WITHDRAWN",
                    channel="BRANCH",
                    verification_method="IN_PERSON",
                )
            except ServiceError as refused:
                assert refused.code == "no_change"  # already in that state: not a change

    errors = run_in_threads(change, THREADS)
    assert errors == []

    history = list(
        ConsentRecord.objects.filter(customer=customer, consent_type="MARKETING").order_by(
            "created_at"
        )
    )
    assert history, "at least the first change is recorded"
    previous = ""
    for record in history:
        assert record.old_status == previous, "each change starts where the last one ended"
        assert record.new_status != record.old_status
        previous = record.new_status
    state = ConsentState.objects.get(customer=customer, consent_type="MARKETING")
    assert state.record_id == history[-1].pk and state.status == history[-1].new_status


def test_simultaneous_stop_replies_withdraw_once_per_customer(committed):  # noqa: F811
    import os

    from amanah.consent.services import consent_withdraw_by_reply
    from amanah.customers.models import Customer

    shared = committed.customers(2)
    phone = f"+62812{os.getpid() % 100_000_000:08d}"  # this run's own number
    committed.run(
        lambda: Customer.objects.filter(pk__in=[c.pk for c in shared]).update(phone_e164=phone)
    )

    def reply(n: int) -> None:
        # Written the ways operators deliver it: E.164, without "+", and local.
        sender = [phone, phone.lstrip("+"), "0" + phone.removeprefix("+62")][n % 3]
        consent_withdraw_by_reply(channel="WHATSAPP", from_address=sender)

    assert run_in_threads(reply, THREADS) == []
    for customer in shared:
        records = ConsentRecord.objects.filter(customer=customer, contact_channel="WHATSAPP")
        assert [r.new_status for r in records] == ["WITHDRAWN"]
