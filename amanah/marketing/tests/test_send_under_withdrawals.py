"""Withdrawals commit while a campaign is being sent (issue 11 item 5, Must show).

Real threads on a real database: sender threads run the batch job function (what the worker
runs) while other threads withdraw marketing consent through the consent service. Whatever
the interleaving:

* nobody whose withdrawal committed before their batch started is sent to;
* a customer who was sent to and has withdrawn withdrew after their batch had locked them
  (the withdrawal waited: it is recorded after the batch began);
* every eligible customer ends with exactly one outcome, and the batch audit counts add up;
* the outbox holds exactly one message per customer sent to (SENT = handed to the hub) and
  none for anyone skipped.
"""

import queue
import random
import threading
import time
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.consent.models import ConsentRecord
from amanah.consent.services import consent_change
from amanah.consent.testing import (  # noqa: F401 (fixture)
    committed,
    grant_marketing,
    run_in_threads,
)
from amanah.customers.models import Customer
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import Campaign, CampaignBatch, CampaignEvent, Segment
from amanah.marketing.testing import OFFER_KEY, offer_template, remove_offer_templates
from amanah.messaging.models import Message, MessageEvent

CUSTOMERS = 300
BATCH = 25
SENDERS = 3
WITHDRAWERS = 3
WITHDRAWALS_EACH = 20
SEND_AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # offer window open


def _queued_campaign(world) -> Campaign:
    system = world.system
    segment = mkt.segment_create(
        actor=system,
        name="Uji kirim",
        rules={"all": [{"field": "branch", "op": "in", "value": [world.branch.code]}]},
    )
    campaign = mkt.campaign_create(
        actor=system,
        name="Uji kirim",
        segment=segment,
        channel="WHATSAPP",
        template_key=OFFER_KEY,
    )
    mkt.campaign_submit(actor=system, campaign=campaign)
    mkt.campaign_approve(actor=system, campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    return campaign


def _remove_campaign(campaign_id) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE args->>'campaign_id' = %s"
            " OR (queueing_lock = 'messaging-dispatch-WHATSAPP' AND status = 'todo')",
            [str(campaign_id)],
        )
    MessageEvent.objects.filter(message__source_id=str(campaign_id)).delete()
    Message.objects.filter(source="CAMPAIGN", source_id=str(campaign_id)).delete()
    segment_id = Campaign.objects.get(pk=campaign_id).segment_id
    Campaign.objects.filter(pk=campaign_id).delete()
    Segment.objects.filter(pk=segment_id).delete()


def test_withdrawals_during_a_send_are_honoured(committed, monkeypatch):  # noqa: F811
    monkeypatch.setattr(sending, "BATCH_SIZE", BATCH)
    customers = committed.customers(CUSTOMERS)
    committed.run(lambda: grant_marketing(customers))
    committed.run(
        lambda: Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
            phone_e164="+6281260000001"
        )
    )
    committed.run(lambda: offer_template("WHATSAPP"))
    committed.on_cleanup(remove_offer_templates)
    campaign = committed.run(lambda: _queued_campaign(committed))
    committed.on_cleanup(lambda: _remove_campaign(campaign.pk))

    batches = list(CampaignBatch.objects.filter(campaign=campaign).order_by("number"))
    assert len(batches) == CUSTOMERS // BATCH
    todo: queue.Queue = queue.Queue()
    for batch in batches:
        todo.put(batch.number)
    batch_started: dict[int, tuple[float, datetime]] = {}
    withdrawn_at: dict[UUID, float] = {}
    lock = threading.Lock()
    chosen = random.Random(11).sample(customers, WITHDRAWERS * WITHDRAWALS_EACH)

    def send() -> None:
        while True:
            try:
                number = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                batch_started[number] = (time.monotonic(), timezone.now())
            sending.campaign_send_batch(campaign_id=campaign.pk, number=number, at=SEND_AT)

    def withdraw(n: int) -> None:
        for customer in chosen[n * WITHDRAWALS_EACH : (n + 1) * WITHDRAWALS_EACH]:
            consent_change(
                actor=committed.system,
                customer=customer,
                consent_type="MARKETING",
                new_status="WITHDRAWN",
                channel="CALL_CENTER",
                verification_method="PHONE_OTP",
            )
            with lock:
                withdrawn_at[customer.pk] = time.monotonic()  # committed by now

    def work(n: int) -> None:
        if n < SENDERS:
            send()
        else:
            withdraw(n - SENDERS)

    assert run_in_threads(work, SENDERS + WITHDRAWERS, timeout=180) == []

    outcomes = {}
    for customer_id, event_type, meta in CampaignEvent.objects.filter(
        campaign=campaign, event_type__in=["SENT", "SKIPPED"]
    ).values_list("customer_id", "event_type", "meta"):
        assert customer_id not in outcomes, "two outcomes for one customer"
        outcomes[customer_id] = (event_type, meta.get("reason"))
    assert set(outcomes) == {c.pk for c in customers}, "every eligible customer has an outcome"

    def batch_of(customer_id) -> int:
        return next(b.number for b in batches if b.first_customer <= customer_id <= b.last_customer)

    withdrawal_recorded = dict(
        ConsentRecord.objects.filter(
            customer_id__in=withdrawn_at, new_status="WITHDRAWN"
        ).values_list("customer_id", "created_at")
    )
    for customer_id, committed_at in withdrawn_at.items():
        started_mono, started_wall = batch_started[batch_of(customer_id)]
        if committed_at < started_mono:
            assert outcomes[customer_id] == ("SKIPPED", "NO_CONSENT"), "withdrawn, then sent"
        if outcomes[customer_id][0] == "SENT":
            # Sent although withdrawn: only if the withdrawal waited for the batch's lock.
            assert withdrawal_recorded[customer_id] > started_wall
    skipped = sum(1 for kind, _r in outcomes.values() if kind == "SKIPPED")
    assert skipped <= len(withdrawn_at)

    batch_audits = [
        log.meta
        for log in AuditLog.objects.filter(object_id=str(campaign.pk), action="EXECUTE_CAMPAIGN")
        if "batch" in log.meta
    ]
    assert sorted(m["batch"] for m in batch_audits) == [b.number for b in batches]
    assert sum(m["sent"] + m["skipped"] for m in batch_audits) == CUSTOMERS
    assert sum(m["sent"] for m in batch_audits) == CUSTOMERS - skipped
    assert all(
        set(m) == {"batch", "sent", "skipped", "skipped_by_reason", "waiting"} for m in batch_audits
    ), "counts only, no identifiers"
    messages = list(
        Message.objects.filter(source="CAMPAIGN", source_id=str(campaign.pk)).values_list(
            "customer_id", "status", "purpose", "channel"
        )
    )
    sent_to = {c for c, (kind, _r) in outcomes.items() if kind == "SENT"}
    assert sorted(c for c, *_rest in messages) == sorted(sent_to), "one message per SENT"
    assert {(s, p, ch) for _c, s, p, ch in messages} <= {("QUEUED", "OFFER", "WHATSAPP")}
    campaign.refresh_from_db()
    assert campaign.status == "DONE"
    assert sending.campaign_progress(campaign)["remaining"] == 0
