"""The status-check poll: payments still PENDING some time after they were made (a callback
lost, a gateway that gave up retrying) are asked about at the gateway's status API, and the
answer goes through the same path as a callback (stored raw as a POLL row, RECEIVED, then
applied by ``processing.callbacks_apply`` as the gateway's integrations system: idempotent
and monotonic, so a poll racing a callback settles once). The answer *is* the status API's:
it needs no further confirmation.

Claiming is set-based: one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)``
stamps ``last_checked_at`` on the batch, so two workers never ask about the same payment in
the same round and a payment is asked at most every ``PAYMENT_POLL_EVERY_MINUTES``. The
network calls happen outside any transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from amanah.core.actors import declare_actor
from amanah.iam import authz
from amanah.payments import gateways, processing, services
from amanah.payments.models import CallbackSource, Payment, PaymentStatus, Verdict
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW

logger = logging.getLogger(__name__)

# The poll's own actor: it asks the gateways and stores their answers (the answers are then
# applied as each gateway's integrations system).
POLLER = declare_actor(
    "payments-poll", permissions=(PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW), all_branches=True
)


@dataclass
class PollResult:
    asked: int = 0
    changed: int = 0
    unchanged: int = 0
    unreachable: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _claim(now, *, pending_for: timedelta, every: timedelta, batch: int) -> list:
    table = Payment._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET last_checked_at = %(now)s
             WHERE id IN (
                SELECT id FROM {table}
                 WHERE status = %(pending)s AND created_at < %(before)s
                   AND (last_checked_at IS NULL OR last_checked_at < %(recheck)s)
                 ORDER BY created_at
                 LIMIT %(batch)s
                 FOR UPDATE SKIP LOCKED)
            RETURNING id
            """,  # noqa: S608 — the table name is ours
            {
                "now": now,
                "pending": PaymentStatus.PENDING,
                "before": now - pending_for,
                "recheck": now - every,
                "batch": batch,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def pending_poll(*, actor=POLLER, now=None, batch: int = 100) -> PollResult:
    """One batch of the poll (the job re-defers itself while batches come back full), run by
    the poller (``POLLER``); the answers are applied as the gateway's system."""
    authz.require(actor, PAYMENT_CALLBACK_APPLY)
    now = now or timezone.now()
    pending_for = timedelta(minutes=getattr(settings, "PAYMENT_POLL_AFTER_MINUTES", 30))
    every = timedelta(minutes=getattr(settings, "PAYMENT_POLL_EVERY_MINUTES", 15))
    ids = _claim(now, pending_for=pending_for, every=every, batch=batch)
    result = PollResult()
    for payment in Payment.objects.filter(pk__in=ids).order_by("created_at"):
        result.asked += 1
        try:
            answer = gateways.gateway_for(payment.provider).status(payment)
        except (
            gateways.GatewayError,
            gateways.BadSignature,
            gateways.Malformed,
            ImproperlyConfigured,
        ):
            result.unreachable += 1
            logger.warning("payment status poll: %s did not answer usably", payment.provider)
            continue
        if answer is None:
            result.unchanged += 1
            continue
        raw, notification = answer
        callback = services.callback_store(
            provider=payment.provider,
            headers={},
            body=raw,
            source=CallbackSource.POLL,
            verdict=Verdict.RECEIVED,
            order_id=notification.order_id,
        )
        applied = processing.callbacks_apply(ids=[callback.pk], limit=1)
        verdict, _reason = applied.verdicts.get(callback.pk, ("", ""))
        if verdict == Verdict.ACCEPTED:
            result.changed += 1
        else:
            result.unchanged += 1
    return result
