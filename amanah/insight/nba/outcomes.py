"""Outcomes of accepted recommendations from what really happened (seed 001 §4, 003 US-18:
"a lead won or a deposit after an accepted offer"), never from a button alone.

An Accept leaves its decision PENDING; the handlers below settle it once, set-based:

* **a transaction** booked by the customer on or after the day of the Accept
  (``insight.transactions_recorded``: the batch's id range, one statement) is the SUCCESS of
  an offer (OFFER_PRODUCT), a retention call (CALL not about a lead: the customer came back
  and used the account) and a merchant promo (MERCHANT_PROMO: a purchase at that merchant);
* **a lead** won (SUCCESS) or lost (FAILED) settles a recommendation about that lead, and an
  offer whose Accept created that lead (``sales.lead.transitioned``);
* **the case** closed settles PRIORITIZE_CASE about it as SUCCESS (``cases.case_closed``);
* **the message** of EDUCATE / GREET delivered or read is a SUCCESS, failed a FAILED
  (``messaging.message_status_changed``);
* **the expiry job**: whatever is still PENDING after ``OUTCOME_DAYS`` is FAILED (batched by
  id, idempotent: a second run finds nothing).

Every settlement moves the rule's counts (``outcomes``, ``successes``) in the same statement
group, so the propensity factor of the score learns from it; the decisions' UPDATE is
guarded by ``outcome = 'PENDING'``, so two settlers racing count once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.insight.nba.models import ActionType, Decision, NbaDecision, NbaRule, Outcome

OUTCOME_DAYS = 30  # an accepted recommendation with no result after this long has FAILED
EXPIRY_BATCH = 1000
# fn(*, actor, outcome, source, count): decisions were settled by a fact or the expiry job.
NBA_OUTCOMES_SETTLED = "insight.nba_outcomes_settled"
ACTOR = declare_actor("insight-nba-outcomes", permissions=(), all_branches=True)
TRANSACTION_ACTIONS = (ActionType.OFFER_PRODUCT, ActionType.MERCHANT_PROMO, ActionType.CALL)
MESSAGE_ACTIONS = (ActionType.EDUCATE, ActionType.GREET, ActionType.EMAIL)


def settle_ids(actor, ids, outcome: str, source: str, *, now=None) -> int:
    """Settle the given decisions that are still PENDING; returns how many were."""
    if not ids:
        return 0
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE insight_nbadecision SET outcome = %s, outcome_at = %s
                WHERE id = ANY(%s::uuid[]) AND decision = 'ACCEPTED' AND outcome = 'PENDING'
            RETURNING id::text, rule_id""",
            [outcome, now, [str(i) for i in ids]],
        )
        settled = cursor.fetchall()
    if not settled:
        return 0
    success = 1 if outcome == Outcome.SUCCESS else 0
    for rule, count in sorted(Counter(rule for _id, rule in settled).items()):
        NbaRule.objects.filter(pk=rule).update(
            outcomes=F("outcomes") + count, successes=F("successes") + success * count
        )
    audit.record_many(
        actor=actor,
        action=AuditAction.RECORD_NBA_OUTCOME,
        object_type=NbaDecision._meta.label,
        object_ids=sorted(i for i, _rule in settled),
        meta={"outcome": outcome, "source": source},
    )
    events.emit(
        NBA_OUTCOMES_SETTLED, actor=actor, outcome=outcome, source=source, count=len(settled)
    )
    return len(settled)


def _pending():
    return NbaDecision.objects.filter(decision=Decision.ACCEPTED, outcome=Outcome.PENDING)


def from_transactions(*, actor, count=0, first_id=None, last_id=None, **_ignored) -> None:
    """Handler of ``insight.transactions_recorded`` (in the batch's transaction): one
    statement finds the pending offers whose customer booked a transaction of this batch on
    or after the day of the Accept."""
    if not count or first_id is None or last_id is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT d.id FROM insight_nbadecision d
                WHERE d.decision = 'ACCEPTED' AND d.outcome = 'PENDING'
                  AND d.action_type = ANY(%(actions)s)
                  AND NOT (d.action_type = 'CALL' AND d.related_entity_type = 'LEAD')
                  AND EXISTS (SELECT 1 FROM insight_transaction t
                               WHERE t.customer_id = d.customer_id
                                 AND t.id BETWEEN %(first)s AND %(last)s
                                 AND t.booked_on >= (d.decided_at AT TIME ZONE %(tz)s)::date
                                 -- a merchant promo: a purchase at that merchant only
                                 AND (d.action_type <> 'MERCHANT_PROMO' OR t.merchant_id = (
                                      SELECT m.code FROM insight_merchant m
                                        JOIN insight_merchantrecommendation r
                                          ON r.merchant_id = m.id
                                       WHERE 'insight.MerchantRecommendation:' || r.id::text
                                             = d.created_ref)))
                ORDER BY d.id""",
            {
                "actions": [str(a) for a in TRANSACTION_ACTIONS],
                "first": first_id,
                "last": last_id,
                "tz": timezone.get_current_timezone_name(),
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
    settle_ids(actor or ACTOR, ids, Outcome.SUCCESS, "transaction")


def from_lead(*, actor, obj, from_status=None, to_status=None, revert=False, **_ignored) -> None:
    """Handler of ``sales.lead.transitioned``: won is SUCCESS, lost FAILED, for decisions
    about the lead or whose Accept created it."""
    outcome = {"CLOSED_WON": Outcome.SUCCESS, "CLOSED_LOST": Outcome.FAILED}.get(to_status)
    if outcome is None or revert:
        return
    from django.db.models import Q

    ids = list(
        _pending()
        .filter(
            Q(related_entity_type="LEAD", related_entity_id=str(obj.pk))
            | Q(created_ref=f"sales.Lead:{obj.pk}")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    settle_ids(actor, ids, outcome, "lead")


def from_case_closed(*, actor, case, **_ignored) -> None:
    """Handler of ``cases.case_closed``: the case a PRIORITIZE_CASE was about is done."""
    ids = list(
        _pending()
        .filter(
            action_type=ActionType.PRIORITIZE_CASE,
            related_entity_type="CASE",
            related_entity_id=str(case.pk),
        )
        .values_list("pk", flat=True)
    )
    settle_ids(actor, ids, Outcome.SUCCESS, "case_closed")


def from_message_status(*, actor, message, **_ignored) -> None:
    """Handler of ``messaging.message_status_changed`` for the hub's messages an Accept sent
    (``source_id`` "nba:<decision>")."""
    source_id = getattr(message, "source_id", "") or ""
    if not source_id.startswith("nba:"):
        return
    outcome = {"DELIVERED": Outcome.SUCCESS, "READ": Outcome.SUCCESS, "FAILED": Outcome.FAILED}
    settled = outcome.get(getattr(message, "status", ""))
    if settled is None:
        return
    ids = list(
        _pending()
        .filter(created_ref=f"messaging.Message:{message.pk}", action_type__in=MESSAGE_ACTIONS)
        .values_list("pk", flat=True)
    )
    settle_ids(actor, ids, settled, "message")


def nba_outcomes_expire(*, actor=ACTOR, now=None, batch_size: int = EXPIRY_BATCH) -> int:
    """Every accepted recommendation still PENDING ``OUTCOME_DAYS`` after the Accept becomes
    FAILED, ``batch_size`` per transaction (a killed run keeps what it did; the next run
    goes on). Idempotent: settled rows are never read again."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=OUTCOME_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                _pending()
                .filter(decided_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            total += settle_ids(actor, ids, Outcome.FAILED, "expired", now=now)
        if len(ids) < batch_size:
            return total
