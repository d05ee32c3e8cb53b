"""Handing queued messages to their provider, a batch (≈1,000) at a time, exactly once.

One batch, for one channel (``dispatch_batch``), in two transactions:

1. **Claim** (committed before any provider call): lock the provider's token bucket, take
   tokens, pick up to that many due rows — ``QUEUED`` and due, or ``SENDING`` rows left by a
   dead worker (older than ``MESSAGING_STALLED_SECONDS``) — with ``FOR NO KEY UPDATE SKIP
   LOCKED`` (workers never wait on each other, never take the same row), mark them
   ``SENDING`` and count the attempt. Unused tokens go back.
2. **Send**: lock the claimed rows (ours) and their customers ``FOR SHARE``. A consent or
   do-not-contact change locks the customer ``FOR NO KEY UPDATE``
   (``consent.contract.lock_customer_for_consent``): a withdrawal committed before our lock
   is seen by the re-check that follows (a new statement, a fresh snapshot) and the message is
   ``CANCELLED`` with that reason; a later one waits until the batch has committed — it was
   sent before the customer withdrew. Outside the window → back to ``QUEUED`` until it opens.
   Free-form WhatsApp to a customer who has not written in 24 hours (``service_window``) →
   ``FAILED`` ``outside_service_window``, never handed to the provider.
   Then each message goes to ``provider.send`` with the outbox id as the provider-side
   idempotency key — several calls in flight for an HTTP provider (``_hand_over``) — and the
   outcomes are written in one statement, audited with the counts.

**Exactly once.** A worker killed during step 2 rolls step 2 back: its rows stay ``SENDING``
(committed in step 1) and no live transaction locks them, so after the stall threshold
another batch claims them and sends them again *with the same idempotency key*. The
provider drops the copy: WhatsApp/SMS by that key, SMTP by the ``Message-ID`` the outbox id
becomes; IN_APP writes the notification in the send transaction itself, so it commits with
``SENT`` or not at all. A row whose batch is alive is locked, so ``SKIP LOCKED`` never steals
it, however slow the provider is.

**Errors.** ``ProviderError(retryable)`` → ``QUEUED`` again after an exponential back-off
with jitter (capped; the provider's ``retry_after`` when longer), ``DEAD`` after
``MESSAGING_MAX_ATTEMPTS``; a permanent one → ``FAILED``. ``ProviderUnavailable`` → the
provider is paused (``ratelimit.pause``) and the rest of the batch goes back to ``QUEUED``
untouched (its attempt not counted): nothing lost, nothing sent twice. A channel without an
adapter fails its waiting messages at once (``unconfigured``).

No address, body or identifier is ever logged here; counts only.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import next_working_moment
from amanah.consent.contactability import window_schedule
from amanah.consent.contract import (
    ContactChannel,
    Reason,
    contactability,
    unsubscribe_headers,
    unsubscribe_url,
    with_contact_checks,
)
from amanah.core.actors import declare_actor
from amanah.customers.models import Customer
from amanah.messaging import addresses, attachments, ratelimit, service_window, unconfigured
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.policies import MESSAGE_VIEW
from amanah.messaging.providers import configured, provider_for
from amanah.messaging.providers.base import (
    OutgoingMessage,
    Provider,
    ProviderError,
    ProviderUnavailable,
)
from amanah.messaging.services import adopt_parked_events
from amanah.messaging.tracking import open_pixel_url, with_tracked_links

logger = logging.getLogger(__name__)

DISPATCHER = declare_actor("messaging-dispatch", permissions=(MESSAGE_VIEW,))

# Stalled rows (a killed worker's) first, then due ones, each read in its own partial index's
# order and stopping at the limit. One statement with ``QUEUED … OR SENDING …`` made the
# planner OR the two indexes in a bitmap and sort every due row before the LIMIT (0.3–0.5 s a
# claim with 460,000 due, docs/benchmarks.md "Messaging hub"). The claimed ids are then
# updated through the primary key (``= ANY(ARRAY(…))``): joined with ``FROM due``, the planner
# guessed a tenth of the due rows for the LIMIT's unknown size and hashed the whole outbox
# (0.7 s of every claim with 1,000,000 queued).
CLAIM = """
    WITH stalled AS (
        SELECT id FROM messaging_message
         WHERE channel = %(channel)s AND status = 'SENDING'
           AND sending_since < %(stalled_before)s
         ORDER BY sending_since
         LIMIT %(limit)s
           FOR NO KEY UPDATE SKIP LOCKED),
    queued AS (
        SELECT id FROM messaging_message
         WHERE channel = %(channel)s AND status = 'QUEUED' AND next_attempt_at <= %(at)s
         ORDER BY next_attempt_at
         LIMIT %(limit)s - (SELECT count(*) FROM stalled)
           FOR NO KEY UPDATE SKIP LOCKED),
    due AS (SELECT id FROM stalled UNION ALL SELECT id FROM queued)
    UPDATE messaging_message m
       SET status = 'SENDING', sending_since = %(at)s, status_changed_at = %(at)s,
           attempts = m.attempts + 1, provider = %(provider)s
     WHERE m.id = ANY(ARRAY(SELECT id FROM due))
    RETURNING m.id
"""


WRITE_OUTCOMES = """
    UPDATE messaging_message m
       SET status = o.status, status_changed_at = %(at)s,
           sending_since = NULL,
           provider_message_id = o.provider_message_id,
           last_error_code = o.error_code,
           cancel_reason = o.cancel_reason,
           next_attempt_at = COALESCE(o.next_attempt_at, m.next_attempt_at),
           attempts = m.attempts - o.uncount,
           sent_at = CASE WHEN o.status = 'SENT' THEN %(at)s ELSE m.sent_at END
      FROM unnest(%(ids)s::uuid[], %(statuses)s::text[], %(provider_ids)s::text[],
                  %(errors)s::text[], %(reasons)s::text[], %(due)s::timestamptz[],
                  %(uncount)s::int[])
           AS o (id, status, provider_message_id, error_code, cancel_reason, next_attempt_at,
                 uncount)
     WHERE m.id = o.id AND m.status = 'SENDING'
"""


@dataclass
class Outcomes:
    """What became of each message of a batch, written back in one statement."""

    rows: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, message_id, status, *, provider_id="", error="", reason="", due=None, uncount=0):
        self.rows.append((message_id, status, provider_id, error, reason, due, uncount))
        key = "released" if uncount else status.lower()
        self.counts[key] = self.counts.get(key, 0) + 1


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential back-off with jitter (half to all of base·2ⁿ⁻¹, capped)."""
    base, cap = settings.MESSAGING_BACKOFF_SECONDS
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    seconds = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)
    return timedelta(seconds=max(seconds, retry_after or 0))


def dispatch_batch(channel: str, *, at: datetime | None = None, limit: int | None = None) -> dict:
    """Claim and send one batch of ``channel``; returns the counts (``claimed`` 0: nothing due,
    rate-limited or paused)."""
    at, limit = at or timezone.now(), limit or settings.MESSAGING_BATCH_SIZE
    if not configured(channel):
        return unconfigured.fail_waiting(channel, at, limit, actor=DISPATCHER)
    provider = provider_for(channel)
    ids = _claim(channel, provider.name, at, limit)
    if not ids:
        return {"claimed": 0}
    return {"claimed": len(ids), **_send(provider, ids, at)}


@transaction.atomic
def _claim(channel: str, provider_name: str, at: datetime, limit: int) -> list:
    grant = ratelimit.take(provider_name, limit, at)
    if grant.granted <= 0:
        return []
    stalled_before = at - timedelta(seconds=settings.MESSAGING_STALLED_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM,
            {
                "channel": channel,
                "at": at,
                "stalled_before": stalled_before,
                "limit": grant.granted,
                "provider": provider_name,
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
    ratelimit.give_back(grant, grant.granted - len(ids))
    return ids


@transaction.atomic
def _send(provider: Provider, ids: list, at: datetime) -> dict:
    messages = list(
        Message.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=ids, status=MessageStatus.SENDING)
        .order_by("pk")
    )
    outcomes = Outcomes()
    sendable = _recheck(messages, at, outcomes)
    closed = service_window.outside(sendable, at)  # free-form WhatsApp, customer silent 24 h
    for message in closed:
        outcomes.add(message.pk, MessageStatus.FAILED, error=service_window.CODE)
    sendable = [m for m in sendable if m not in closed]
    # Built here, on this thread's connection (addresses, attachments, tracked links).
    handed = _hand_over(provider, [_outgoing(message) for message in sendable])
    away = next((r for r in handed if isinstance(r, ProviderUnavailable)), None)
    if away is not None:
        ratelimit.pause(provider.name, at, away.retry_after or settings.MESSAGING_PAUSE_SECONDS)
        logger.warning("messaging: provider %s unavailable, paused", provider.name)
    for message, result in zip(sendable, handed, strict=True):
        if result is UNTOUCHED or isinstance(result, ProviderUnavailable):
            outcomes.add(message.pk, MessageStatus.QUEUED, uncount=1)
        elif isinstance(result, ProviderError):
            _failed(message, result.code, result.retryable, result.retry_after, at, outcomes)
        elif isinstance(result, Exception):  # an adapter bug must not lose the batch
            _failed(message, "unexpected_error", True, None, at, outcomes)
        else:
            outcomes.add(message.pk, MessageStatus.SENT, provider_id=result.provider_message_id)
    _write(outcomes, at)
    sent = [(row[0], row[2]) for row in outcomes.rows if row[1] == MessageStatus.SENT]
    adopted = adopt_parked_events(provider.name, sent)
    if adopted:
        outcomes.counts["early_callbacks"] = adopted
    audit.record(
        actor=DISPATCHER,
        action=AuditAction.DISPATCH_MESSAGES,
        object_type="messaging.Message",
        object_id=provider.channel,
        meta={"provider": provider.name, "messages": len(messages), **outcomes.counts},
    )
    return outcomes.counts


UNTOUCHED = object()  # not handed over: the provider was found away first


def _hand_over(provider: Provider, outgoing: list[OutgoingMessage]) -> list:
    """Each message to ``provider.send``; returns, in order, its ``Accepted``, the exception it
    raised, or ``UNTOUCHED`` once the provider was found unavailable (no later message is handed
    over). A provider that declares ``concurrent_sends`` (an HTTP API: its calls touch no
    database connection) gets ``MESSAGING_SEND_CONCURRENCY`` calls in flight, so the batch
    waits for the slowest answers side by side instead of one after the other; the others (SMTP
    on one connection, IN_APP and Web Push, which write in this transaction) one at a time."""
    away = threading.Event()

    def send(message: OutgoingMessage):
        if away.is_set():
            return UNTOUCHED
        try:
            return provider.send(message)
        except ProviderUnavailable as error:
            away.set()
            return error
        except ProviderError as error:
            return error
        except Exception as error:  # noqa: BLE001 (an adapter bug must not lose the batch)
            logger.error("messaging: %s raised %s", provider.name, type(error).__name__)
            return error

    threaded = getattr(provider, "concurrent_sends", False)
    lanes = settings.MESSAGING_SEND_CONCURRENCY if threaded else 1
    if lanes <= 1 or len(outgoing) <= 1:
        return [send(message) for message in outgoing]
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="messaging-send") as pool:
        return list(pool.map(send, outgoing))


def _recheck(messages: list[Message], at: datetime, outcomes: Outcomes) -> list[Message]:
    """Contactability just before sending, set-based, under FOR SHARE on the customers."""
    customer_ids = sorted({m.customer_id for m in messages if m.customer_id})
    if customer_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM customers_customer WHERE id = ANY(%s::uuid[])"
                " ORDER BY id FOR SHARE",
                [customer_ids],
            )
    verdicts: dict[tuple, tuple[str, str]] = {}
    for purpose, channel in {(m.purpose, m.channel) for m in messages if m.customer_id}:
        if channel not in ContactChannel.values:
            continue
        rows = with_contact_checks(
            Customer.objects.filter(pk__in=customer_ids), purpose, channel, at, reason="_r"
        ).values_list("pk", "_r", "home_branch__timezone")
        for pk, reason, zone in rows:
            verdicts[(pk, purpose, channel)] = (reason, zone)
    sendable = []
    for message in messages:
        reason, zone = verdicts.get(
            (message.customer_id, message.purpose, message.channel), ("", "")
        )
        if reason == Reason.OUTSIDE_WINDOW:
            opens = next_working_moment(window_schedule(message.purpose, zone), at)
            outcomes.add(message.pk, MessageStatus.QUEUED, due=opens, uncount=1)
        elif reason == Reason.FREQUENCY_CAP:  # few: asked one by one for their moment
            verdict = contactability(
                Customer(pk=message.customer_id), message.purpose, message.channel, at
            )
            outcomes.add(
                message.pk, MessageStatus.QUEUED, due=verdict.next_window_at or at, uncount=1
            )
        elif reason:
            outcomes.add(message.pk, MessageStatus.CANCELLED, reason=reason)
        else:
            sendable.append(message)
    return sendable


def _outgoing(message: Message) -> OutgoingMessage:
    outgoing = OutgoingMessage(
        message_id=str(message.pk),
        channel=message.channel,
        to=addresses.open_sealed(message.address_sealed),
        subject=message.subject,
        text=message.text,
        html=message.html,
        template=message.provider_template,
        language=message.language,
        parameters=tuple(message.parameters or ()),
        category=message.category,
        media_url=message.media_url,
        attachments=attachments.build(message.attachments),  # made now, never stored
    )
    outgoing = with_tracked_links(message, outgoing)  # offers' links count clicks
    if message.channel == Channel.EMAIL and message.customer_id and outgoing.html:
        # Opens are counted for the channel analytics (an image the mail client fetches).
        pixel = format_html('<img src="{}" alt="" width="1" height="1">', open_pixel_url(message))
        outgoing = replace(outgoing, html=f"{outgoing.html}\n{pixel}")
    if message.purpose == Purpose.OFFER and message.channel == Channel.EMAIL:
        return _with_unsubscribe(outgoing, Customer(pk=message.customer_id), str(message.pk))
    return outgoing


def _with_unsubscribe(outgoing: OutgoingMessage, customer: Customer, ref: str) -> OutgoingMessage:
    """An offer by e-mail carries its way out: a footer link and the one-click headers
    (RFC 8058), both withdrawing MARKETING for e-mail at once (consent's unsubscribe page).
    ``ref`` (the message id) comes back with the withdrawal: the unsubscribe is counted
    against this message (``tracking.unsubscribe_recorded``)."""
    url = unsubscribe_url(customer, ContactChannel.EMAIL, ref)
    footer = _("Berhenti menerima penawaran lewat email: %(url)s") % {"url": url}
    html_footer = format_html(
        '<p><a href="{}">{}</a></p>', url, _("Berhenti menerima penawaran lewat email")
    )
    return replace(
        outgoing,
        text=f"{outgoing.text}\n\n{footer}",
        html=f"{outgoing.html}\n{html_footer}" if outgoing.html else "",
        headers=tuple(unsubscribe_headers(customer, ContactChannel.EMAIL, ref, url=url).items()),
    )


def _failed(message, code, retryable, retry_after, at, outcomes: Outcomes) -> None:
    code = str(code)[:64]
    if not retryable:
        outcomes.add(message.pk, MessageStatus.FAILED, error=code)
    elif message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        outcomes.add(message.pk, MessageStatus.DEAD, error=code)
    else:
        due = at + backoff(message.attempts, retry_after)
        outcomes.add(message.pk, MessageStatus.QUEUED, error=code, due=due)


def _write(outcomes: Outcomes, at: datetime) -> None:
    if not outcomes.rows:
        return
    columns = list(zip(*outcomes.rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            WRITE_OUTCOMES,
            {
                "at": at,
                "ids": list(columns[0]),
                "statuses": [str(s) for s in columns[1]],
                "provider_ids": list(columns[2]),
                "errors": list(columns[3]),
                "reasons": list(columns[4]),
                "due": list(columns[5]),
                "uncount": list(columns[6]),
            },
        )


def due_channels(at: datetime | None = None) -> list[str]:
    """Channels with something to send now (the periodic kick uses it)."""
    at = at or timezone.now()
    stalled_before = at - timedelta(seconds=settings.MESSAGING_STALLED_SECONDS)
    return sorted(
        Message.objects.filter(
            Q(status=MessageStatus.QUEUED, next_attempt_at__lte=at)
            | Q(status=MessageStatus.SENDING, sending_since__lt=stalled_before)
        )
        .values_list("channel", flat=True)
        .distinct()
    )


def has_due(channel: str, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    return Message.objects.filter(
        channel=channel, status=MessageStatus.QUEUED, next_attempt_at__lte=at
    ).exists()
