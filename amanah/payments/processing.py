"""Stored callbacks applied in batches by a job (issue 17: 500 callbacks/s sustained).

The endpoint does the minimum (``webhooks.py``): it authenticates the callback and stores it,
RECEIVED, in one INSERT and one commit, then asks for this job (``tasks.callbacks_job``, at
most one waiting; a sweep every minute as well, so nothing is lost if a worker dies or the
request to run it was). The job applies what is RECEIVED, oldest first, a batch at a time:

- **Claim**: ``SELECT … WHERE verdict = 'RECEIVED' ORDER BY id LIMIT n FOR UPDATE SKIP
  LOCKED`` (a partial index holds only those rows), in the transaction that sets their
  verdicts: a worker killed midway rolls back and the rows are claimed again; two workers
  never take the same row.
- **Idempotent and monotonic**, as before, per payment: the batch's payments are locked
  (``FOR UPDATE`` of those rows alone, in order-id order, so two batches never deadlock) and
  its callbacks compared, in arrival order, with the payment's status by rank
  (``models.STATUS_RANK``): the same status again is a DUPLICATE, a lower or equal rank (a
  late "pending" after "settlement") IGNORED, a higher one applied. A replay in the same
  batch as its original meets the status the original just set; one in a later batch (or a
  concurrent one, after the lock) meets the committed status. One settlement, one event,
  one audit row per payment.
- **Set-based writes**: the changed payments in one UPDATE, the verdicts in one UPDATE, the
  audit rows in one chained write (``audit.record_many`` as the gateway's
  ``IntegrationActor``); the events per payment (``payment_settled``, ``payment_mismatch``,
  ``payment_ended``) and once for the batch (``payments_settled``: an owner that applies
  many payments at once subscribes to that one instead), inside the transaction.
- **A failing batch** (an owner refusing one payment) is rolled back and its callbacks are
  then applied one at a time, each in its own transaction: the one that fails stays
  RECEIVED (logged, counted, retried by the next sweep), the others are applied.

The actor: a callback's gateway system as an ``IntegrationActor`` (its grants read once per
batch; the callbacks of a system no longer usable are not claimed: they stay RECEIVED until it
is usable again); a poll's answer is applied as the poller.
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
from amanah.core.actors import IntegrationActor, declare_actor
from amanah.core.permissions import is_declared
from amanah.core.sqlparams import bound_cursor
from amanah.iam import authz
from amanah.payments import gateways
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
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW

logger = logging.getLogger(__name__)

POLLER = declare_actor(
    "payments-poll", permissions=(PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW), all_branches=True
)
BATCH = 500


_SYSTEM = """
SELECT s.name, s.permissions, s.all_branches, s.allowed_networks,
       EXISTS (SELECT 1 FROM integrations_systemkey k
                WHERE k.system_id = s.id AND k.revoked_at IS NULL AND k.expires_at > now())
  FROM integrations_externalsystem s
 WHERE s.name = %s
"""


@dataclass(frozen=True)
class GatewaySystem:
    name: str
    permissions: list
    all_branches: bool
    allowed_networks: list
    has_usable_key: bool


def gateway_actor(system_name: str) -> tuple[GatewaySystem | None, IntegrationActor | None, str]:
    """The gateway's integrations system and its ``IntegrationActor``, or why not: the system
    must exist, hold a usable key, ``payments.callback.apply`` and payment grants only. One
    hand-written statement (the endpoint asks it for every callback, and the ORM's building
    of it cost more CPU than the rest of the endpoint; the job asks once per batch). The
    caller's address is the endpoint's business (``webhooks.integration_actor``)."""
    row = None
    if system_name:
        with bound_cursor() as cursor:  # planned once per connection
            cursor.execute(_SYSTEM, [system_name], prepare=True)
            row = cursor.fetchone()
    if row is None:
        return None, None, "no_integration"
    system = GatewaySystem(*row)
    if not system.has_usable_key:
        return system, None, "no_usable_key"
    permissions = [p for p in system.permissions if is_declared(p)]
    if PAYMENT_CALLBACK_APPLY not in permissions or any(
        not p.startswith("payments.") for p in permissions
    ):
        return system, None, "grants_not_payment_only"
    actor = IntegrationActor(system.name, permissions=permissions, all_branches=system.all_branches)
    return system, actor, ""


@dataclass
class Result:
    claimed: int = 0
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0
    failed: int = 0  # left RECEIVED: applying it failed (retried by the sweep)
    verdicts: dict = field(default_factory=dict)  # callback id → (verdict, reason)

    def add(self, other: Result) -> None:
        for name in ("claimed", "accepted", "duplicate", "ignored", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.verdicts.update(other.verdicts)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "verdicts"}


def callbacks_process(
    *, batch: int = BATCH, seconds: float | None = None, linger: float = 0.0
) -> Result:
    """What the job runs: batches until none is full (or ``seconds`` have passed). The last
    claim is no sooner than ``linger`` seconds after the start (the endpoint skips asking for
    the job for a short while after a job was waiting: ``tasks.callbacks_soon``)."""
    seconds = seconds if seconds is not None else settings.PAYMENT_CALLBACK_JOB_SECONDS
    started, total = time.monotonic(), Result()
    while True:
        result = callbacks_apply(limit=batch)
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


def callbacks_apply(*, ids=None, limit: int = BATCH) -> Result:
    """One batch: the RECEIVED callbacks (``ids`` alone when given: the poll's own answers),
    oldest first; a failing batch is applied again one callback at a time."""
    try:
        with transaction.atomic():
            return _apply_batch(ids=ids, limit=limit)
    except Exception:  # noqa: BLE001 — one payment refused must not hold back the others
        logger.warning("payment callbacks: a batch failed; applying it one at a time")
    result = Result()
    with transaction.atomic():
        candidates = _claim(ids, limit, lock=False)
    for row in candidates:
        try:
            with transaction.atomic():
                result.add(_apply_batch(ids=[row[0]], limit=1))
        except Exception:  # noqa: BLE001
            logger.exception("payment callback: applying it failed; it stays RECEIVED")
            result.claimed += 1
            result.failed += 1
    return result


# The callbacks of a gateway whose system is not usable now are not claimed at all: they
# wait, and never hold a batch's places from the others.
_CLAIM = """
SELECT id, provider, source, body FROM payments_rawcallback
 WHERE verdict = 'RECEIVED' AND (source = %s OR provider = ANY(%s)) {only}
 ORDER BY id LIMIT %s
 {lock}
"""


def _claim(ids, limit: int, usable=None, *, lock: bool = True) -> list[tuple]:
    usable = list(_actors()) if usable is None else list(usable)
    only = "AND id = ANY(%s)" if ids is not None else ""
    params = [CallbackSource.POLL, usable] + ([list(ids)] if ids is not None else []) + [limit]
    sql = _CLAIM.format(only=only, lock="FOR UPDATE SKIP LOCKED" if lock else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _actors() -> dict[str, IntegrationActor]:
    """Each configured gateway's actor, when its system is usable (one query a gateway)."""
    actors = {}
    for provider, config in settings.PAYMENT_GATEWAYS.items():
        _system, actor, why = gateway_actor(config.get("system", ""))
        if actor is None:
            logger.warning("payment callbacks of %s wait: integration refused (%s)", provider, why)
            continue
        actors[provider] = actor
    return actors


def _notification(provider: str, body: str):
    try:
        return gateways.gateway_for(provider).parse(gateways.parse_json(body.encode()))
    except gateways.Malformed:
        return None


def _apply_batch(*, ids, limit: int) -> Result:
    result = Result()
    actors = _actors()
    rows = _claim(ids, limit, actors)
    result.claimed = len(rows)
    if not rows:
        return result
    for actor in [*actors.values(), POLLER]:
        authz.require(actor, PAYMENT_CALLBACK_APPLY)
    work = []  # (callback id, actor, provider, source, notification or None)
    for callback_id, provider, source, body in rows:
        actor = POLLER if source == CallbackSource.POLL else actors[provider]
        work.append((callback_id, actor, provider, source, _notification(provider, body)))
    payments = _lock_payments(work)
    moment = timezone.now()
    verdicts = []  # (callback id, verdict, reason, payment id)
    changed: dict = {}  # payment pk → (payment, actor, audit meta, event)
    for callback_id, actor, provider, source, notification in work:
        if notification is None:
            verdicts.append((callback_id, Verdict.IGNORED, "malformed", None))
            continue
        payment = payments.get((provider, notification.order_id))
        verdict, reason, meta = _judge(payment, notification, moment, callback_id)
        verdicts.append((callback_id, verdict, reason, payment.pk if payment else None))
        if meta is not None:  # applied (a payment moves once: its rank only goes up)
            event = PAYMENT_ENDED
            if payment.status == PaymentStatus.SETTLED:
                event = PAYMENT_MISMATCH if payment.amount_mismatch else PAYMENT_SETTLED
            changed[payment.pk] = (payment, actor, meta | {"source": source}, event)
    _write_payments([entry[0] for entry in changed.values()])
    _write_verdicts(verdicts, moment)
    for callback_id, verdict, reason, _payment in verdicts:
        result.verdicts[callback_id] = (verdict, reason)
        name = {"ACCEPTED": "accepted", "DUPLICATE": "duplicate"}.get(verdict, "ignored")
        setattr(result, name, getattr(result, name) + 1)
    if changed:
        with audit.gathered():
            _announce(changed)
    return result


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
