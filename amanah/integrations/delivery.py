"""Sending webhook deliveries, a batch at a time, with retries — ``deliver_batch``.

One batch in three steps, never a network call inside a transaction:

1. **Claim** (its own transaction, committed before any POST): up to
   ``INTEGRATIONS_WEBHOOK_BATCH`` due rows of active subscriptions — ``PENDING`` whose
   ``next_attempt_at`` has come, or ``SENDING`` rows a dead worker left behind (older than
   ``INTEGRATIONS_WEBHOOK_STALLED_SECONDS``) — ``FOR NO KEY UPDATE SKIP LOCKED`` (workers never
   wait for each other nor take the same row), marked ``SENDING``, the attempt counted.
2. **Send**: one signed POST per row (``webhooks.signed_headers``) to the address the host
   resolves to now, once ``egress.pinned`` found it public (else ``address_refused``), within
   one wall-clock deadline of ``INTEGRATIONS_WEBHOOK_TIMEOUT`` (asyncio's, not httpx's
   per-read timeouts), redirects not followed, the response body never read. 2xx is
   delivered; anything else (a status, a timeout, a refused connection) is a failed attempt,
   recorded as a code. Once a
   receiver timed out or refused the connection, its other rows of the batch are not tried
   (back to ``PENDING``, the attempt not counted): one dead receiver costs a batch one
   timeout, not one per row. A ``SENDING`` row counts as abandoned only after a whole batch
   of timeouts could have run (``stalled_after``), so a slow live batch is never re-sent.
3. **Record** (one transaction): lock our rows (by id), then their subscriptions (by id: one
   order for every batch), then the audit chain last. A failed row goes back to ``PENDING``
   after an exponential back-off with jitter (``BACKOFF_SECONDS`` × 2^(attempts−1), capped),
   ``DEAD`` after ``MAX_ATTEMPTS``. A subscription counts failed attempts in a row (a success
   resets it) and is switched off at ``DISABLE_AFTER`` (audited DISABLE_WEBHOOK).

**At least once, idempotent.** A worker killed in step 2 leaves its rows ``SENDING``; after
the stall threshold another batch sends them again with the same ``X-Amanah-Delivery`` id, so
the receiver drops the copy — unless that was its last attempt: then it is ``DEAD``
(``stalled``), so a row whose sending kills the worker is not re-sent forever. A row's
surprise (an unparsable URL, an unexpected error) is that row's failed attempt, never the
batch's. A duplicate job finds nothing to claim. Logs carry counts only —
no URL, no payload.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.integrations import egress, webhooks
from amanah.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

DELIVERER = declare_actor("webhook-delivery", permissions=())
UNREACHABLE = ("timeout", "transport_error", "dns_error", "address_refused", "url_invalid")
SKIPPED = "skipped"  # the receiver was unreachable earlier in this batch: not tried now


@dataclass(frozen=True)
class Outcome:
    delivery_id: object
    subscription_id: object
    ok: bool
    status_code: int | None
    error: str


def stalled_after() -> timedelta:
    """When a ``SENDING`` row counts as left behind by a dead worker: never before a live
    batch could have finished (every POST of a full batch running into its timeout)."""
    longest = settings.INTEGRATIONS_WEBHOOK_BATCH * settings.INTEGRATIONS_WEBHOOK_TIMEOUT + 60
    return timedelta(seconds=max(settings.INTEGRATIONS_WEBHOOK_STALLED_SECONDS, longest))


def _due(now) -> Q:
    stalled = now - stalled_after()
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=stalled
    )


def _sendable(now):
    """Rows of active subscriptions whose system still holds a usable key (revoking every
    key of a system stops its deliveries too; they wait, PENDING, for a new key)."""
    return WebhookDelivery.objects.filter(subscription__active=True).filter(
        webhooks.usable_key_exists("subscription__system", at=now)
    )


def has_due(now=None) -> bool:
    now = now or timezone.now()
    return _sendable(now).filter(_due(now)).exists()


def _claim(now, limit: int) -> list:
    """The due rows' ids in send order, marked SENDING. A stalled row that already used its
    last attempt is not tried again: it is DEAD (``stalled``) — else a row whose sending kills
    the worker would be claimed, counted and re-sent forever."""
    with transaction.atomic():
        dead = WebhookDelivery.objects.filter(
            status=DeliveryStatus.SENDING,
            last_attempt_at__lt=now - stalled_after(),
            attempts__gte=settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS,
        ).update(status=DeliveryStatus.DEAD, last_error="stalled")
        if dead:
            logger.warning("webhooks: %d stalled deliveries out of attempts, dead", dead)
        ids = list(
            _sendable(now)
            .select_for_update(of=("self",), no_key=True, skip_locked=True)
            .filter(_due(now))
            .order_by("next_attempt_at", "created_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    return ids


async def _send(client: httpx.AsyncClient, delivery: WebhookDelivery, resolver) -> Outcome:
    """One signed POST within one wall-clock deadline (``INTEGRATIONS_WEBHOOK_TIMEOUT``: the
    address check, connect, send and the status line together). httpx's timeouts are per
    operation — a receiver dripping a byte now and then never trips them — so the deadline is
    asyncio's. Only the status counts: the body is never read (the stream is closed)."""
    body = webhooks.body_bytes(delivery.payload)
    secret = webhooks.subscription_secret(delivery.subscription)
    headers = webhooks.signed_headers(delivery, secret, body, int(time.time()))
    code, error = None, ""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(settings.INTEGRATIONS_WEBHOOK_TIMEOUT):
            # checked again at every send; the lookup runs on a thread, inside the deadline
            target = await loop.run_in_executor(resolver, egress.pinned, delivery.subscription.url)
            request = client.build_request(
                "POST",
                target.url,
                content=body,
                headers={**headers, **target.headers},
                extensions=target.extensions,
            )
            response = await client.send(request, stream=True)
            code = response.status_code
            await response.aclose()  # unread: a receiver's answer is not ours to keep
        error = "" if 200 <= code < 300 else f"http_{code}"
    except egress.Refused as refused:
        error = refused.code
    except (TimeoutError, httpx.TimeoutException):
        error = "timeout"
    except httpx.HTTPError:
        error = "transport_error"
    except (httpx.InvalidURL, ValueError, UnicodeError):
        error = "url_invalid"
    except Exception as exc:  # one row's surprise must not leave the whole batch SENDING
        logger.error("webhook send failed: %s", type(exc).__name__)  # no URL, no payload
        error = "send_error"
    return Outcome(delivery.pk, delivery.subscription_id, not error, code, error)


async def _send_all(deliveries: list[WebhookDelivery]) -> list[Outcome]:
    """Each row in turn; once a receiver is unreachable its other rows are not tried."""
    timeout = settings.INTEGRATIONS_WEBHOOK_TIMEOUT
    outcomes, down = [], set()
    # Its own threads for the address lookups: one stuck past its deadline is left behind,
    # never waited for.
    resolver = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook-dns")
    try:
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False
        ) as client:
            for row in deliveries:
                if row.subscription_id in down:
                    outcomes.append(Outcome(row.pk, row.subscription_id, False, None, SKIPPED))
                    continue
                outcome = await _send(client, row, resolver)
                if outcome.error in UNREACHABLE:  # one dead receiver must not stall the batch
                    down.add(row.subscription_id)
                outcomes.append(outcome)
    finally:
        resolver.shutdown(wait=False, cancel_futures=True)
    return outcomes


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling, capped, ±20 % jitter."""
    base = settings.INTEGRATIONS_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(base, settings.INTEGRATIONS_WEBHOOK_BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (not a secret)


def _record(outcomes: list[Outcome], now) -> Counter:
    counts: Counter = Counter()
    by_id = {o.delivery_id: o for o in outcomes}
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=list(by_id), status=DeliveryStatus.SENDING)
            .order_by("pk")
        )
        for row in rows:
            outcome = by_id[row.pk]
            if outcome.error == SKIPPED:  # not tried: its receiver was down a moment ago
                row.status, row.attempts = DeliveryStatus.PENDING, row.attempts - 1
                row.next_attempt_at = now + backoff(1)
                counts["pending"] += 1
                continue
            row.last_status_code, row.last_error = outcome.status_code, outcome.error
            if outcome.ok:
                row.status, row.delivered_at = DeliveryStatus.DELIVERED, now
            elif row.attempts >= settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS:
                row.status = DeliveryStatus.DEAD
            else:
                row.status = DeliveryStatus.PENDING
                row.next_attempt_at = now + backoff(row.attempts)
            counts[row.status.lower()] += 1
        WebhookDelivery.objects.bulk_update(
            rows,
            [
                "status",
                "attempts",
                "delivered_at",
                "next_attempt_at",
                "last_status_code",
                "last_error",
            ],
        )
        recorded = {row.pk for row in rows}
        tried = [o for o in outcomes if o.delivery_id in recorded and o.error != SKIPPED]
        disabled = _count_failures(tried, now)
        counts["disabled"] = len(disabled)
        for subscription in disabled:  # ADMIN hears of it (a handler: messaging's notice)
            events.emit(
                webhooks.WEBHOOK_DISABLED,
                actor=DELIVERER,
                subscription=subscription,
                reason="failures",
            )
        audit.record(  # last: the chain lock is held until COMMIT
            actor=DELIVERER,
            action=AuditAction.DELIVER_WEBHOOKS,
            object_type="integrations.WebhookDelivery",
            object_id="batch",
            meta={"deliveries": len(rows), **counts},
        )
        for subscription in disabled:
            audit.record(
                actor=DELIVERER,
                action=AuditAction.DISABLE_WEBHOOK,
                obj=subscription,
                meta={"failures": subscription.consecutive_failures, "reason": "failures"},
            )
    return counts


def _count_failures(outcomes: list[Outcome], now) -> list[WebhookSubscription]:
    """Failed attempts in a row per subscription, in the order they were *sent* (a success
    resets; the rows' ids are random UUIDs and say nothing about order); switch off those at
    the threshold. Returns the ones switched off now."""
    runs: dict = {}
    for outcome in outcomes:
        reset, failed = runs.get(outcome.subscription_id, (False, 0))
        runs[outcome.subscription_id] = (True, 0) if outcome.ok else (reset, failed + 1)
    subscriptions = (
        WebhookSubscription.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=list(runs))
        .order_by("pk")
    )
    disabled = []
    for subscription in subscriptions:
        reset, failed = runs[subscription.pk]
        subscription.consecutive_failures = failed + (
            0 if reset else subscription.consecutive_failures
        )
        fields = ["consecutive_failures"]
        if (
            subscription.active
            and subscription.consecutive_failures >= settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER
        ):
            subscription.active, subscription.disabled_at = False, now
            fields += ["active", "disabled_at"]
            disabled.append(subscription)
        subscription.save(update_fields=fields)
    return disabled


def deliver_batch(*, limit: int | None = None) -> dict:
    """Claim, send and record one batch; returns the counts (``claimed``, ``delivered``,
    ``pending`` (to retry), ``dead``, ``disabled``)."""
    limit = limit or settings.INTEGRATIONS_WEBHOOK_BATCH
    ids = _claim(timezone.now(), limit)
    if not ids:
        return {"claimed": 0}
    rows = WebhookDelivery.objects.filter(pk__in=ids).select_related("subscription")
    by_pk = {row.pk: row for row in rows}
    deliveries = [by_pk[pk] for pk in ids if pk in by_pk]  # sent in the order claimed
    outcomes = asyncio.run(_send_all(deliveries))  # no database access in there
    counts = _record(outcomes, timezone.now())
    logger.info("webhooks: %d claimed, %s", len(ids), dict(counts))
    return {"claimed": len(ids), **counts}
