"""The many-form streams the verdicts, seals them in chunks and stages them through a spool:
whatever the chunk and spool sizes, each row is the row the one-by-one form would write."""

from datetime import timedelta

import pytest

from amanah.customers.models import Customer
from amanah.messaging import addresses, dispatch, queueing
from amanah.messaging.contract import Rendered, message_queue, message_queue_many
from amanah.messaging.models import Message
from amanah.messaging.tests.conftest import TUESDAY_10, TUESDAY_2230

OFFER = Rendered(subject="Promo", text="Buka tabungan, dapat hadiah.")
FIELDS = ("status", "cancel_reason", "next_attempt_at", "address_masked")


def _rows(source_id: str) -> dict:
    return {
        m.customer_id: (*(getattr(m, f) for f in FIELDS), addresses.open_sealed(m.address_sealed))
        for m in Message.objects.filter(source_id=source_id)
    }


def _both_forms(system, customers, at) -> tuple[dict, dict, dict]:
    kwargs = dict(
        actor=system, channel="EMAIL", purpose="OFFER", rendered=OFFER, source="CAMPAIGN", at=at
    )
    counts = message_queue_many(
        customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        source_id="many",
        **kwargs,
    )
    for customer in customers:
        if customer.email:
            message_queue(customer=customer, source_id="one", **kwargs)
    return counts, _rows("many"), _rows("one")


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Several chunks, and the spool rolled over to a file after the first bytes."""
    monkeypatch.setattr(queueing, "CHUNK", 2)
    monkeypatch.setattr(queueing, "SPOOL_IN_MEMORY", 10)


@pytest.mark.parametrize("at", [TUESDAY_10, TUESDAY_2230], ids=["window open", "closed"])
def test_many_in_chunks_writes_what_one_by_one_writes(system, make_customers, tiny_chunks, at):
    granted = make_customers(5, granted=True)
    refused = make_customers(2)
    (odd,) = make_customers(1, granted=True)
    # COPY's text format escapes these; the row must still hold the address as given.
    odd.email = "x@con\\to\th.co.id"  # the masked form keeps the domain
    odd.save(update_fields=["email"])
    (silent,) = make_customers(1, email=False)

    counts, many, one = _both_forms(system, [*granted, *refused, odd, silent], at)

    assert many == one and len(many) == 8
    assert many[odd.pk][-1] == odd.email
    assert many[odd.pk][3] == addresses.mask("EMAIL", odd.email)
    assert {many[c.pk][:2] for c in refused} == {("CANCELLED", "NO_CONSENT")}
    waiting = at == TUESDAY_2230
    assert counts == {
        "queued": 0 if waiting else 6,
        "waiting": 6 if waiting else 0,
        "cancelled": {"NO_CONSENT": 2},
        "no_address": 1,
        "already_queued": 0,
    }
    if waiting:  # due when the window opens: Wednesday 08.00 WIB
        assert {many[c.pk][2] for c in granted} == {TUESDAY_10.replace(day=25, hour=8)}


def test_a_capped_customer_waits_in_the_many_form_as_in_the_one(
    system, make_customers, smtp_server, settings, tiny_chunks
):
    settings.CONTACT_CAPS = {"OFFER": {"EMAIL": {"day": 1, "week": 3}}}
    capped, *others = make_customers(3, granted=True)
    message_queue(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id="earlier",
        customer=capped,
        at=TUESDAY_10,
    )
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["sent"] == 1

    later = TUESDAY_10 + timedelta(minutes=5)
    counts, many, one = _both_forms(system, [capped, *others], later)

    assert many == one
    assert many[capped.pk][:3] == ("QUEUED", "", TUESDAY_10.replace(day=25, hour=8))
    assert {many[c.pk][:3] for c in others} == {("QUEUED", "", later)}
    assert counts["waiting"] == 1 and counts["queued"] == 2


def test_a_customer_twice_in_the_set_or_a_key_used_before_still_queues_once(system, make_customers):
    """The plain INSERT of a new key meets a duplicate, and goes the ON CONFLICT way."""
    from amanah.customers.models import CustomerIdentifier

    twice, once = make_customers(2, granted=True)
    CustomerIdentifier.objects.bulk_create(
        CustomerIdentifier(customer=twice, id_type="ACCOUNT_NO", id_value=f"00{n}")
        for n in range(2)
    )
    CustomerIdentifier.objects.create(customer=once, id_type="ACCOUNT_NO", id_value="009")
    customers = Customer.objects.filter(identifiers__id_type="ACCOUNT_NO")  # twice: 2 rows
    assert customers.count() == 3
    kwargs = dict(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id="dup",
        at=TUESDAY_10,
    )

    counts = message_queue_many(customers=customers, **kwargs)

    assert (counts["queued"], counts["already_queued"]) == (2, 1)
    assert Message.objects.filter(source_id="dup").count() == 2
    again = message_queue_many(customers=Customer.objects.filter(pk=once.pk), **kwargs)
    assert (again["queued"], again["already_queued"]) == (0, 1)
    assert Message.objects.filter(source_id="dup").count() == 2


@pytest.mark.parametrize("empty", ["none", "no ids"])
def test_an_empty_set_queues_nothing_and_says_so(system, make_customers, empty):
    make_customers(1, granted=True)
    customers = Customer.objects.none() if empty == "none" else Customer.objects.filter(pk__in=[])
    counts = message_queue_many(
        actor=system,
        customers=customers,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id="empty",
        at=TUESDAY_10,
    )
    assert counts == {
        "queued": 0,
        "waiting": 0,
        "cancelled": {},
        "no_address": 0,
        "already_queued": 0,
    }
    assert not Message.objects.filter(source_id="empty").exists()


def test_the_next_batch_of_a_campaign_takes_the_plain_insert(system, make_customers, monkeypatch):
    first, second = make_customers(2, granted=True)
    kwargs = dict(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id="batches",
        at=TUESDAY_10,
    )
    message_queue_many(customers=Customer.objects.filter(pk=first.pk), **kwargs)
    # The ON CONFLICT statement is not needed for new customers of a used key: make it fail.
    monkeypatch.setattr(queueing, "_move_staged", lambda personal: "SELECT no_such_column")

    counts = message_queue_many(customers=Customer.objects.filter(pk=second.pk), **kwargs)

    assert counts["queued"] == 1
    assert Message.objects.filter(source_id="batches").count() == 2
