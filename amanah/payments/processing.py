"""Stored callbacks applied in batches by a job (issue 17: 500 callbacks/s sustained), each
confirmed with the gateway's status API before it moves a payment (issue 51).

The endpoint does the minimum (``webhooks.py``): it authenticates the callback and stores it,
RECEIVED, in one INSERT and one commit, then asks for this job (``tasks.callbacks_job``, at
most one waiting; a sweep every minute as well, so nothing is lost if a worker dies or the
request to run it was). The job applies what is RECEIVED, oldest first, a batch at a time:

- **Confirm** (``confirmation.py``): the callbacks the batch will take are read (no lock) and,
  for each payment one of them would move out of PENDING, the gateway's status API is asked
  — before the transaction, concurrently. A callback whose gateway did not answer stays
  RECEIVED (the next run asks again); one the answer contradicts is DISAGREED and the answer
  itself (a CONFIRM row) is what gets applied.
- **Claim**: ``SELECT … WHERE verdict = 'RECEIVED' ORDER BY id LIMIT n FOR UPDATE SKIP
  LOCKED`` (a partial index holds only those rows), in the transaction that sets their
  verdicts: a worker killed midway rolls back and the rows are claimed again; two workers
  never take the same row.
- **Idempotent and monotonic**, as before, per payment: the batch's payments are locked
  (``FOR UPDATE`` of those rows alone, in order-id order, so two batches never deadlock) and
  its callbacks compared, in arrival order, with the payment's status by rank
  (``models.STATUS_RANK``): the same status again is a DUPLICATE, a lower or equal rank (a
  late "pending" after "settlement") IGNORED, a higher one applied — once confirmed. A replay
  in the same batch as its original meets the status the original just set; one in a later
  batch (or a concurrent one, after the lock) meets the committed status. One settlement,
  one event, one audit row per payment.
- **Set-based writes**: the changed payments in one UPDATE, the verdicts in one UPDATE, the
  audit rows in one chained write (``audit.record_many`` as the gateway's
  ``IntegrationActor``); the events per payment (``payment_settled``, ``payment_mismatch``,
  ``payment_ended``) and once for the batch (``payments_settled``: an owner that applies
  many payments at once subscribes to that one instead), inside the transaction.
- **A failing batch** (an owner refusing one payment) is rolled back and its callbacks are
  then applied one at a time, each in its own transaction: the one that fails stays
  RECEIVED (logged, counted, retried by the next sweep), the others are applied.

The actor: the gateway's integrations system as an ``IntegrationActor`` (``systems.py``; its
grants read once per batch), for its callbacks, the poll's answers and the confirmations
alike; the rows of a system no longer usable are not claimed: they stay RECEIVED until it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.iam import authz
from amanah.payments import services
from amanah.payments.confirmation import (
    Confirmer,
    differences,
    needs_confirming,
    notification_of,
    reason,
    usable_truth,
)
from amanah.payments.models import (
    STATUS_RANK,
    CallbackSource,
    Payment,
    PaymentStatus,
    Verdict,
)
from amanah.payments.payables import (
    PAYMENT_ENDED,
    PAYMENT_MISMATCH,
    PAYMENT_SETTLED,
    PAYMENTS_SETTLED,
)
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY
from amanah.payments.systems import usable_actors

logger = logging.getLogger(__name__)

BATCH = 500
COUNTED = {"ACCEPTED": "accepted", "DUPLICATE": "duplicate", "DISAGREED": "disagreed"}


@dataclass
class Result:
    claimed: int = 0
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0
    disagreed: int = 0  # refused: the status API said otherwise (its answer applied instead)
    waiting: int = 0  # left RECEIVED: its gateway could not be asked (the next run asks)
    failed: int = 0  # left RECEIVED: applying it failed (retried by the sweep)
    verdicts: dict = field(default_factory=dict)  # callback id → (verdict, reason)

    def add(self, other: Result) -> None:
        for name in ("claimed", "accepted", "duplicate", "ignored", "disagreed", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed += other.failed
        self.verdicts.update(other.verdicts)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "verdicts"}


def callbacks_process(
    *, batch: int = BATCH, seconds: float | None = None, linger: float = 0.0
) -> Result:
    """What the job runs: batches until none is full (or ``seconds`` have passed). The last
    claim is no sooner than ``linger`` seconds after the start (the endpoint skips asking for
    the job for a short while after a job was waiting: ``tasks.callbacks_soon``). One
    ``Confirmer`` for the run: a gateway that did not answer is not asked again in it."""
    seconds = seconds if seconds is not None else settings.PAYMENT_CALLBACK_JOB_SECONDS
    started, total, confirmer = time.monotonic(), Result(), Confirmer()
    while True:
        result = callbacks_apply(limit=batch, confirmer=confirmer)
        total.add(result)
        if result.claimed - result.failed < batch:
            waited = time.monotonic() - started
            if waited < linger:
                time.sleep(linger - waited)
                continue
            return total
        if time.monotonic() - started > seconds:
            from amanah.payments.tasks import callbacks_soon

            callbacks_soon()  # the rest in the next run
            return total


def callbacks_apply(*, ids=None, limit: int = BATCH, confirmer: Confirmer | None = None) -> Result:
    """One batch: the RECEIVED callbacks (``ids`` alone when given: the poll's own answers),
    oldest first, confirmed first; a failing batch is applied again one callback at a time."""
    confirmer = confirmer if confirmer is not None else Confirmer()
    actors = usable_actors()
    waiting = len(confirmer.waiting)
    confirmer.ask(_claim(ids, limit, actors, confirmer.waiting, lock=False))
    result = Result(waiting=len(confirmer.waiting) - waiting)  # their gateway did not answer
    try:
        with transaction.atomic():
            result.add(_apply_batch(ids=ids, limit=limit, actors=actors, confirmer=confirmer))
            return result
    except Exception:  # noqa: BLE001 — one payment refused must not hold back the others
        logger.warning("payment callbacks: a batch failed; applying it one at a time")
    with transaction.atomic():
        candidates = _claim(ids, limit, actors, confirmer.waiting, lock=False)
    for row in candidates:
        try:
            with transaction.atomic():
                one = _apply_batch(ids=[row[0]], limit=1, actors=actors, confirmer=confirmer)
            result.add(one)
        except Exception:  # noqa: BLE001
            logger.exception("payment callback: applying it failed; it stays RECEIVED")
            result.claimed += 1
            result.failed += 1
    return result


# The rows of a gateway whose system is not usable now are not claimed at all (nor those
# whose gateway could not confirm them in this run): they wait, and never hold a batch's
# places from the others.
_CLAIM = """
SELECT id, provider, source, body FROM payments_rawcallback
 WHERE verdict = 'RECEIVED' AND provider = ANY(%s) {only} {skip}
 ORDER BY id LIMIT %s
 {lock}
"""


def _claim(ids, limit: int, actors, skip=(), *, lock: bool = True) -> list[tuple]:
    only = "AND id = ANY(%s)" if ids is not None else ""
    params = [list(actors)] + ([list(ids)] if ids is not None else [])
    if skip:
        params.append(sorted(skip))
    sql = _CLAIM.format(
        only=only,
        skip="AND NOT (id = ANY(%s))" if skip else "",
        lock="FOR UPDATE SKIP LOCKED" if lock else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


@dataclass
class _Batch:
    """What one batch decided: the verdicts (callback id, verdict, reason, payment id), the
    payments it moved (pk → payment, actor, audit meta, event), the confirmations stored."""

    moment: object
    verdicts: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)
    confirmed: set = field(default_factory=set)

    def judge(self, payment, notification, actor, callback_id, source, confirmed=False):
        verdict, why, meta = _judge(payment, notification, self.moment, callback_id)
        self.verdicts.append((callback_id, verdict, why, payment.pk if payment else None))
        if meta is not None:  # applied (a payment moves once: its rank only goes up)
            event = PAYMENT_ENDED
            if payment.status == PaymentStatus.SETTLED:
                event = PAYMENT_MISMATCH if payment.amount_mismatch else PAYMENT_SETTLED
            meta |= {"source": source} | ({"confirmed": True} if confirmed else {})
            self.changed[payment.pk] = (payment, actor, meta, event)


def _apply_batch(*, ids, limit: int, actors, confirmer: Confirmer) -> Result:
    result = Result()
    rows = _claim(ids, limit, actors, confirmer.waiting)
    result.claimed = len(rows)
    if not rows:
        return result
    for actor in actors.values():
        authz.require(actor, PAYMENT_CALLBACK_APPLY)
    work = [  # (callback id, actor, provider, source, notification or None)
        (callback_id, actors[provider], provider, source, notification_of(provider, body))
        for callback_id, provider, source, body in rows
    ]
    payments = _lock_payments(work)
    batch = _Batch(timezone.now())
    for callback_id, actor, provider, source, notification in work:
        if notification is None:
            batch.verdicts.append((callback_id, Verdict.IGNORED, "malformed", None))
            continue
        payment = payments.get((provider, notification.order_id))
        if not needs_confirming(source, notification, payment):
            batch.judge(payment, notification, actor, callback_id, source)
            continue
        answer = confirmer.answers.get((payment.pk, notification.lookup))
        if answer is None:
            result.waiting += 1  # stays RECEIVED: the next run asks the gateway again
            continue
        codes = differences(notification, answer.truth, payment)
        if not codes:
            batch.judge(payment, notification, actor, callback_id, source, confirmed=True)
            continue
        batch.verdicts.append((callback_id, Verdict.DISAGREED, reason(codes), payment.pk))
        _apply_truth(batch, payment, answer, actor, provider, notification.lookup)
    _write_payments([entry[0] for entry in batch.changed.values()])
    _write_verdicts(batch.verdicts, batch.moment)
    for callback_id, verdict, why, _payment in batch.verdicts:
        result.verdicts[callback_id] = (verdict, why)
        name = COUNTED.get(verdict, "ignored")
        setattr(result, name, getattr(result, name) + 1)
    if batch.changed:
        with audit.gathered():
            _announce(batch.changed)
    return result


def _apply_truth(batch: _Batch, payment, answer, actor, provider: str, lookup: str) -> None:
    """A disagreement: the status API's answer kept (a CONFIRM row, once per payment and
    batch) and judged like a poll's answer — the confirmed truth is what counts."""
    if (payment.pk, lookup) in batch.confirmed:
        return
    batch.confirmed.add((payment.pk, lookup))
    row = services.callback_store(
        provider=provider,
        headers={},
        body=answer.raw,
        source=CallbackSource.CONFIRM,
        verdict=Verdict.RECEIVED,
        order_id=payment.order_id,
    )
    if answer.truth is None:
        batch.verdicts.append((row.pk, Verdict.IGNORED, "unknown_at_gateway", payment.pk))
    elif not usable_truth(answer.truth, payment):
        batch.verdicts.append((row.pk, Verdict.IGNORED, "unusable_answer", payment.pk))
    else:
        batch.judge(payment, answer.truth, actor, row.pk, CallbackSource.CONFIRM)


def _lock_payments(work) -> dict:
    """The batch's payments, locked, by (provider, order id); read through each actor's scope."""
    wanted: dict = {}
    for _id, actor, provider, _source, notification in work:
        if notification is not None:
            wanted.setdefault(actor, set()).add((provider, notification.order_id))
    found = {}
    for actor, keys in wanted.items():
        order_ids = sorted({order_id for _p, order_id in keys})
        for payment in (
            Payment.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(order_id__in=order_ids)
            .order_by("order_id")
        ):
            if (payment.provider, payment.order_id) in keys:
                found[(payment.provider, payment.order_id)] = payment
    return found


def _judge(payment, notification, moment, callback_id) -> tuple[str, str, dict | None]:
    """A callback against its payment's status now: (verdict, reason, audit meta if applied).
    An applied callback changes ``payment`` in memory (written with the batch)."""
    if payment is None:
        return Verdict.IGNORED, "unknown_order", None
    new = notification.status
    if new is None:
        return Verdict.IGNORED, f"untracked:{notification.word}", None
    current = payment.status
    if new == current:
        same_amount = new != PaymentStatus.SETTLED or notification.amount == payment.paid_amount
        if same_amount:
            return Verdict.DUPLICATE, f"already:{current.lower()}", None
        return Verdict.IGNORED, "settled_other_amount", None
    if STATUS_RANK[new] <= STATUS_RANK[current]:
        return Verdict.IGNORED, f"out_of_order:{current.lower()}", None
    payment.status, payment.status_changed_at = new, moment
    if notification.reference and not payment.provider_reference:
        payment.provider_reference = notification.reference
    meta = {"from": current, "to": new, "callback": callback_id}
    if new == PaymentStatus.SETTLED:
        paid = notification.amount if notification.amount is not None else -1
        payment.paid_amount, payment.settled_at = paid, moment
        payment.amount_mismatch = paid != payment.amount
        meta |= {"paid_amount": paid, "mismatch": payment.amount_mismatch}
    return Verdict.ACCEPTED, f"to:{new.lower()}", meta


_PAYMENTS = """
UPDATE payments_payment AS p
   SET status = v.status, status_changed_at = v.changed_at,
       provider_reference = v.reference, paid_amount = v.paid_amount,
       settled_at = v.settled_at, amount_mismatch = v.mismatch
  FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::text[], %s::bigint[],
              %s::timestamptz[], %s::boolean[])
       AS v(id, status, changed_at, reference, paid_amount, settled_at, mismatch)
 WHERE p.id = v.id
"""


def _write_payments(payments: list[Payment]) -> None:
    if not payments:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _PAYMENTS,
            [
                [p.pk for p in payments],
                [p.status for p in payments],
                [p.status_changed_at for p in payments],
                [p.provider_reference for p in payments],
                [p.paid_amount for p in payments],
                [p.settled_at for p in payments],
                [p.amount_mismatch for p in payments],
            ],
        )


_VERDICTS = """
UPDATE payments_rawcallback AS r
   SET verdict = v.verdict, reason = v.reason, payment_id = v.payment_id, processed_at = %s
  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::uuid[])
       AS v(id, verdict, reason, payment_id)
 WHERE r.id = v.id AND r.verdict = 'RECEIVED'
"""


def _write_verdicts(verdicts, moment) -> None:
    if not verdicts:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _VERDICTS,
            [moment, *[list(column) for column in zip(*verdicts, strict=True)]],
        )
        if cursor.rowcount != len(verdicts):  # claimed FOR UPDATE: cannot happen
            raise RuntimeError("payment callbacks: a claimed callback changed meanwhile")


def _announce(changed: dict) -> None:
    """The batch's events and audit rows (inside ``audit.gathered``: one chained write)."""
    by_actor: dict = {}
    settled: dict = {}
    for payment, actor, meta, event in changed.values():
        by_actor.setdefault(actor, []).append((payment, meta))
        events.emit(event, actor=actor, payment=payment)
        if event == PAYMENT_SETTLED:
            settled.setdefault(actor, []).append(payment)
    for actor, payments in settled.items():
        events.emit(PAYMENTS_SETTLED, actor=actor, payments=payments)
    for actor, pairs in by_actor.items():
        metas = {payment.pk: meta for payment, meta in pairs}
        audit.record_many(
            actor=actor,
            action=AuditAction.APPLY_PAYMENT_STATUS,
            objects=[payment for payment, _meta in pairs],
            meta_for=lambda payment, metas=metas: metas[payment.pk],
        )
