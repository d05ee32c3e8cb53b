"""Sending an approved campaign: queued from the page, done by workers in batches.

``campaign_execute`` (the page, after a confirmation) splits the eligible customers into
batches of ``BATCH_SIZE`` by customer id and queues one job per batch in the same
transaction — one job per message would serialize commits on procrastinate's per-insert
NOTIFY. ``campaign_send_batch`` (the job) then, in one transaction:

1. locks its batch row (a duplicate job waits, then finds it DONE and does nothing);
2. locks its customers' rows ``FOR SHARE``. A consent or do-not-contact change locks the
   customer ``FOR NO KEY UPDATE`` (``consent.contract.lock_customer_for_consent``), which
   conflicts: a withdrawal either committed before this lock — and the next statement sees
   it — or waits until the batch has committed;
3. re-checks contactability for an offer at this moment, in a *new* statement (READ
   COMMITTED takes a fresh snapshot per statement, after the lock was granted), for the
   customers that have no outcome yet (a batch that comes back after a window opened), and
   chooses each one's channel with messaging's one rule in its set form
   (``messaging.contract.channel_choices``): the campaign's channels are its own and every
   other one its template was approved on when the send started (``channel_versions``); a
   customer gets the offer on their preferred channel for OFFER, else on the next channel of
   the order that contactability allows (a preferred channel withdrawn or without an address
   or template gives way). One statement for every channel's verdict and one for the
   preferences, whatever the batch size;
4. hands the customers with a channel to the messaging hub, one
   ``messaging.contract.message_queue_template_many`` call per channel: one outbox row per
   customer (source CAMPAIGN, the campaign's id, purpose OFFER, the chosen channel),
   rendered per customer from that channel's template version frozen when the send started,
   in this same transaction and idempotent by the outbox key. The hub's workers then send
   them (re-checking contactability once more just before), and its provider callbacks and
   tracking say what was delivered, read or clicked;
5. records exactly one outcome per customer — SKIPPED with its reason (``NO_ADDRESS`` for a
   customer with nothing to send to; otherwise the refusal on the first channel of their
   order), or SENT on its channel, meaning *handed to the hub* — under the
   ``campaign_one_outcome`` unique index (ON CONFLICT DO NOTHING); a customer who only has
   to wait — outside the contact window, or at a frequency cap (consent's ``is_wait``: the
   cap is a wait, never a refusal) — gets no outcome yet: the job comes back at the earliest
   moment one of them may be contacted (consent's ``wait_over_at``: the window's opening,
   the next day's for a cap) and asks again;
6. audits the batch with its counts (no customer identifiers) and, when it was the last,
   marks the campaign DONE.

Both status changes go through the workflow engine: APPROVED → RUNNING by the person who
confirms, RUNNING → DONE by the worker as ``SENDER``, an ``IntegrationActor`` holding only
``campaign.finish`` (which no role holds) behind the guard "no batch pending". The engine locks
the campaign row first and the guard counts in a new statement, so the last of two batches
committing together always sees the other's DONE; a batch that is not the last is refused by
the guard and the send goes on.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import Purpose, is_wait, wait_over_at
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer
from amanah.marketing import ab_services
from amanah.marketing.models import (
    NO_ADDRESS,
    OUTCOME_TYPES,
    BatchStatus,
    Campaign,
    CampaignBatch,
    CampaignEvent,
    CampaignStatus,
    in_sendable_order,
)
from amanah.marketing.policies import CAMPAIGN_FINISH, CAMPAIGN_VIEW
from amanah.messaging.contract import (
    MessageSource,
    approved_version_number,
    channel_choices,
    message_queue_template_many,
)
from amanah.workflow.contract import transition_apply

BATCH_SIZE = 1000
SENDER = declare_actor("campaign-send", permissions=(CAMPAIGN_VIEW, CAMPAIGN_FINISH))

PLAN_BATCHES = """
    INSERT INTO marketing_campaignbatch
           (campaign_id, number, first_customer, last_customer, size, status, sent, skipped)
    SELECT %s, n, (array_agg(customer_id ORDER BY customer_id))[1],
           (array_agg(customer_id ORDER BY customer_id DESC))[1], count(*), 'PENDING', 0, 0
      FROM (SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1) / %s AS n
              FROM marketing_campaigneligibility
             WHERE campaign_id = %s AND is_eligible) ranked
     GROUP BY n
"""

LOCK_BATCH_CUSTOMERS = """
    SELECT c.id FROM customers_customer c
      JOIN marketing_campaigneligibility e ON e.customer_id = c.id
     WHERE e.campaign_id = %s AND e.is_eligible AND c.id BETWEEN %s AND %s
     ORDER BY c.id
       FOR SHARE OF c
"""

RECORD_SKIPPED = """
    INSERT INTO marketing_campaignevent (campaign_id, customer_id, event_type, channel, at, meta)
    SELECT %s, s.customer_id, 'SKIPPED', %s, %s, jsonb_build_object('reason', s.reason)
      FROM unnest(%s::uuid[], %s::text[]) AS s (customer_id, reason)
    ON CONFLICT DO NOTHING
"""

# Any unique key: a customer who already has an outcome (SENT or SKIPPED,
# campaign_one_outcome) keeps it.
RECORD_SENT = """
    INSERT INTO marketing_campaignevent (campaign_id, customer_id, event_type, channel, at, meta)
    SELECT %s, s.customer_id, 'SENT', %s, %s, '{}'::jsonb
      FROM unnest(%s::uuid[]) AS s (customer_id)
    ON CONFLICT DO NOTHING
"""


@transaction.atomic
def campaign_execute(*, actor, campaign: Campaign, confirmed: bool = False) -> dict:
    """Queue the send of an approved, evaluated campaign; the workers do the rest.

    ``confirmed`` must be given: the page shows how many customers will be contacted and asks
    first (server-side — a page without JavaScript asks too). The move APPROVED → RUNNING
    (permission, "evaluated" guard, history, audit) is the engine's; the batches are ours.
    """
    from amanah.marketing.services import eligibility_counts
    from amanah.marketing.tasks import send_campaign_batch

    if not confirmed:
        raise ServiceError("confirm_required", _("Konfirmasi pengiriman dulu."))
    campaign = transition_apply(actor=actor, obj=campaign, to=CampaignStatus.RUNNING)
    if ab_services.abtest_of(campaign) is not None:
        # A/B: only the test audience now, per variant; the rest after the decision.
        planned = ab_services.plan_test_batches(campaign, timezone.now())
        if not planned:
            finish_if_last(campaign, timezone.now())
        return {"eligible": eligibility_counts(campaign)["eligible"], "batches": planned}
    with connection.cursor() as cursor:
        cursor.execute(PLAN_BATCHES, [campaign.pk, BATCH_SIZE, campaign.pk])
    numbers = list(
        CampaignBatch.objects.filter(campaign=campaign)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if numbers:
        send_campaign_batch.batch_defer(
            *({"campaign_id": str(campaign.pk), "number": n} for n in numbers)
        )
    else:
        finish_if_last(campaign, timezone.now())
    return {"eligible": eligibility_counts(campaign)["eligible"], "batches": len(numbers)}


@transaction.atomic
def campaign_send_batch(*, campaign_id, number: int, at: datetime | None = None) -> dict:
    """Send one batch (see the module docstring). Returns its counts, or ``{"done": True}``
    when another run already finished it. ``at`` is the moment of sending (tests fix it)."""
    batch = (
        CampaignBatch.objects.select_for_update(of=("self",), no_key=True)
        .filter(campaign_id=campaign_id, number=number)
        .first()
    )
    if batch is None or batch.status == BatchStatus.DONE:
        return {"done": True}
    campaign = Campaign.objects.get(pk=campaign_id)
    at = at or timezone.now()
    plan = _send_plan(campaign, batch)
    channel = plan["channel"]  # the campaign's own: where a skip is recorded
    with connection.cursor() as cursor:
        if batch.variant:  # an A/B batch: its variant's bucket range only
            cursor.execute(ab_services.LOCK_RANGE_CUSTOMERS, ab_services.lock_range_params(batch))
        else:
            cursor.execute(
                LOCK_BATCH_CUSTOMERS, [campaign_id, batch.first_customer, batch.last_customer]
            )
        locked = [row[0] for row in cursor.fetchall()]
    decided = CampaignEvent.objects.filter(
        campaign=campaign, customer_id__in=locked, event_type__in=OUTCOME_TYPES
    ).values("customer_id")
    choices = channel_choices(
        Customer.objects.filter(pk__in=locked).exclude(pk__in=decided),
        Purpose.OFFER,
        plan["channels"],
        at,
    )
    send_to: dict[str, list] = {}
    for pk, choice in sorted(choices.items()):
        if choice.channel:
            send_to.setdefault(choice.channel, []).append(pk)
    skip = [
        (pk, choice.reason or NO_ADDRESS)
        for pk, choice in choices.items()
        if not choice.channel and not is_wait(choice.reason)
    ]
    waits = {
        (c.timezone, c.reason) for c in choices.values() if not c.channel and is_wait(c.reason)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            RECORD_SKIPPED,
            [campaign.pk, channel, at, [pk for pk, _r in skip], [r for _p, r in skip]],
        )
        skipped = cursor.rowcount
    sent = sum(
        _hand_to_hub(campaign, ids, at, plan, channel=on) for on, ids in sorted(send_to.items())
    )
    batch.sent += sent
    batch.skipped += skipped
    if not waits:
        batch.status, batch.done_at = BatchStatus.DONE, at
    batch.save(update_fields=["sent", "skipped", "status", "done_at"])
    counts = {
        "batch": number,
        "sent": sent,
        "skipped": skipped,
        "skipped_by_reason": _count_by_reason(skip),
        "waiting": len(choices) - sum(map(len, send_to.values())) - len(skip),
    }
    audit.record(actor=SENDER, action=AuditAction.EXECUTE_CAMPAIGN, obj=campaign, meta=counts)
    if waits:
        _come_back_when_the_wait_is_over(campaign, number, waits, at)
    else:
        finish_if_last(campaign, at)
    return counts


def _send_plan(campaign: Campaign, batch: CampaignBatch) -> dict:
    """Channel, template, frozen version and outbox step of a batch: the campaign's own, or
    its A/B variant's (``ab_services.batch_send_plan``, its one channel). ``channels``: the
    candidates in the campaign's order, ``versions`` their frozen version numbers."""
    if batch.variant:
        plan = ab_services.batch_send_plan(campaign, batch)
        return {**plan, "channels": (plan["channel"],), "versions": {}}
    others = campaign.channel_versions or {}
    return {
        "channel": campaign.channel,
        "channels": (
            campaign.channel,
            *(c for c in in_sendable_order(others) if c != campaign.channel),
        ),
        "versions": dict(others),
        "template_key": campaign.template_key,
        "template_version": campaign.template_version,
        "step": "",
    }


def _hand_to_hub(
    campaign: Campaign, customer_ids: list, at: datetime, plan: dict, *, channel: str
) -> int:
    """Queue the campaign's message on ``channel`` to ``customer_ids`` in the outbox and
    record their SENT outcomes; returns how many outcomes are new (a re-run adds neither
    rows nor outcomes)."""
    if not customer_ids:
        return 0
    if channel != plan["channel"]:  # another channel of the template, frozen at the start
        version = approved_version_number(plan["template_key"], channel, plan["versions"][channel])
    elif plan["template_version"] is None:  # a send started before versions were frozen
        from amanah.marketing.services import require_sendable

        version = require_sendable(campaign)
    else:
        version = approved_version_number(
            plan["template_key"], plan["channel"], plan["template_version"]
        )
    message_queue_template_many(
        actor=SENDER,
        customers=Customer.objects.filter(pk__in=customer_ids),
        version=version,
        context={"campaign": campaign, "promo": {"code": campaign.promo_code}},
        channel=channel,
        purpose=Purpose.OFFER,
        source=MessageSource.CAMPAIGN,
        source_id=str(campaign.pk),
        step=plan["step"],
        at=at,
    )
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SENT, [campaign.pk, channel, at, customer_ids])
        return cursor.rowcount


def _count_by_reason(skip: list[tuple]) -> dict:
    counts: dict[str, int] = {}
    for _pk, reason in skip:
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def _come_back_when_the_wait_is_over(campaign, number: int, waits: set, at: datetime) -> None:
    """The batch again at the first moment one of its waiting customers (``waits``: their
    zones and reasons) may be contacted; those still waiting then make it come back again."""
    from amanah.marketing.tasks import send_campaign_batch

    again = min(wait_over_at(Purpose.OFFER, reason, tz, at) for tz, reason in waits)
    send_campaign_batch.configure(schedule_at=again).defer(
        campaign_id=str(campaign.pk), number=number
    )


def all_batches_done(campaign: Campaign, data: dict) -> bool:
    """Workflow guard of RUNNING → DONE: no batch of the send is still pending (and an A/B
    test has been rolled out to the rest of its audience)."""
    pending = CampaignBatch.objects.filter(campaign=campaign, status=BatchStatus.PENDING)
    return not pending.exists() and not ab_services.awaiting_rollout(campaign)


def finish_if_last(campaign: Campaign, at: datetime) -> None:
    try:
        transition_apply(actor=SENDER, obj=campaign, to=CampaignStatus.DONE, finished_at=at)
    except ServiceError:  # another batch is pending (guard), or a re-run finds it DONE
        return


def campaign_progress(campaign: Campaign) -> dict:
    """Sent / skipped / remaining of a running or finished send (a sum over its batches)."""
    from django.db.models import Sum

    totals = CampaignBatch.objects.filter(campaign=campaign).aggregate(
        size=Sum("size"), sent=Sum("sent"), skipped=Sum("skipped")
    )
    size, sent, skipped = (totals[k] or 0 for k in ("size", "sent", "skipped"))
    return {
        "total": size,
        "sent": sent,
        "skipped": skipped,
        "remaining": size - sent - skipped,
        "percent": round(100 * (sent + skipped) / size) if size else 100,
    }
