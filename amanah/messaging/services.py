"""Outbox services other than queueing and dispatch: provider status callbacks, inbound
messages, and the dead-letter retry.

**Status merge rule** (``message_status_apply``). Webhooks arrive late, twice and out of
order, so the current status is never "the last callback received". Each callback is kept
once (``MessageEvent``, unique per provider event id: a duplicate is a no-op) and the status
is derived from the *set* of callbacks by precedence::

    SENT < DELIVERED < READ < FAILED < BOUNCED

— the highest wins. A maximum over a set does not depend on arrival order or repetition, and
a failure outranks every success, so "delivered" arriving after "failed" never resurrects a
message. ``delivered_at`` is the earliest DELIVERED/READ provider timestamp, ``read_at`` the
earliest READ. Messages the provider has not taken (no provider id: QUEUED, SENDING, DEAD,
CANCELLED) are not touched by callbacks.

Callbacks are not audited one by one (a campaign brings millions); the event table is their
record. A callback for a provider id we do not know is logged without any identifier and
changes no message; it is parked, because it may have overtaken its own send (the batch has
not committed the provider id yet) — the batch adopts it when it commits.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import Count, IntegerField, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import consent_withdraw_by_reply, is_stop_reply
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz
from amanah.messaging.models import Message, MessageEvent, MessageStatus
from amanah.messaging.policies import MESSAGE_RETRY, MESSAGE_VIEW
from amanah.messaging.providers.base import InboundMessage, StatusUpdate

logger = logging.getLogger(__name__)

STATUS_CHANGED = "messaging.message_status_changed"
INBOUND_RECEIVED = "messaging.inbound_received"
PRECEDENCE = {
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
    MessageStatus.FAILED: 4,
    MessageStatus.BOUNCED: 5,
}
PROVIDER_STATES = tuple(PRECEDENCE)
INBOUND = declare_actor("messaging-inbound", permissions=(MESSAGE_VIEW,))


def merged_status(statuses) -> str:
    """The rule, on its own: the highest-precedence status of a set of callbacks (SENT when
    there are none)."""
    return max(statuses, key=PRECEDENCE.__getitem__, default=MessageStatus.SENT)


# One advisory lock per provider id, in the order given — one statement for a whole batch. The
# subquery sorts by the array position and ``OFFSET 0`` keeps it from being flattened, so the
# locks are taken in that order.
LOCK_PROVIDER_IDS = """
    SELECT count(pg_advisory_xact_lock(hashtextextended(k.key, 0)))
      FROM (SELECT key FROM unnest(%s::text[]) WITH ORDINALITY AS u (key, n)
             ORDER BY n OFFSET 0) AS k
"""


def _lock_provider_ids(provider: str, provider_message_ids: list[str]) -> None:
    """Serializes a callback with the batch that records the same provider id (see
    ``adopt_parked_events``): whichever comes second sees what the first committed. Sorted,
    so that two holders of overlapping ids always queue in the same order."""
    keys = sorted(f"messaging:{provider}:{pid}" for pid in provider_message_ids)
    with connection.cursor() as cursor:
        cursor.execute(LOCK_PROVIDER_IDS, [keys])


@transaction.atomic
def message_status_apply(update: StatusUpdate) -> bool:
    """Merge one provider status into the outbox; True when it changed something."""
    if update.status not in PRECEDENCE or not update.provider_message_id:
        return False
    _lock_provider_ids(update.provider, [update.provider_message_id])
    message = (
        Message.objects.select_for_update(of=("self",), no_key=True)
        .filter(provider=update.provider, provider_message_id=update.provider_message_id)
        .first()
    )
    if message is not None and message.status not in PROVIDER_STATES:
        message = None  # handed back to the queue meanwhile: nothing the provider took
    if not _record_event(message, update):
        return False  # the same callback again
    if message is None:
        # Unknown to us — yet: its batch may still be committing. Kept, without any id in
        # the log; the batch adopts it (a truly unknown id stays parked, harmless).
        logger.warning("messaging: status callback for an unknown message parked")
        return False
    return _rederive(message)


def _record_event(message: Message | None, update: StatusUpdate) -> bool:
    """Keep the callback once; False when this provider event id was recorded before."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO messaging_messageevent (message_id, provider_message_id, provider,"
            " event_id, status, at, error_code, received_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [
                message.pk if message else None,
                update.provider_message_id[:200],
                update.provider,
                update.event_id[:200],
                update.status,
                update.at,
                update.error_code[:64],
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


ADOPT = """
    UPDATE messaging_messageevent e SET message_id = m.id
      FROM messaging_message m
     WHERE e.message_id IS NULL AND e.provider = m.provider
       AND e.provider_message_id = m.provider_message_id AND m.id = ANY(%s::uuid[])
    RETURNING m.id
"""


def adopt_parked_events(provider: str, sent: list[tuple]) -> int:
    """Called by a dispatch batch, in its transaction, for the ``(message id, provider id)``
    it just recorded SENT: callbacks that overtook the send are attached and merged. Takes the
    same per-id lock as ``message_status_apply``, so a callback either committed before (and
    is adopted here) or waits and then finds the message."""
    if not sent:
        return 0
    _lock_provider_ids(provider, [provider_message_id for _message_id, provider_message_id in sent])
    with connection.cursor() as cursor:
        cursor.execute(ADOPT, [[message_id for message_id, _p in sent]])
        adopted = {row[0] for row in cursor.fetchall()}
    for message in Message.objects.filter(pk__in=adopted):
        _rederive(message)
    return len(adopted)


def _rederive(message: Message) -> bool:
    history = MessageEvent.objects.filter(message=message)
    status = merged_status(set(history.values_list("status", flat=True)))
    times = history.aggregate(
        delivered=Min("at", filter=_statuses(MessageStatus.DELIVERED, MessageStatus.READ)),
        read=Min("at", filter=_statuses(MessageStatus.READ)),
    )
    before = (message.status, message.delivered_at, message.read_at)
    message.status = status
    message.delivered_at, message.read_at = times["delivered"], times["read"]
    if (message.status, message.delivered_at, message.read_at) == before:
        return False
    if status != before[0]:
        message.status_changed_at = timezone.now()
        message.last_error_code = (
            history.filter(status=status).order_by("at").values_list("error_code", flat=True)[0]
        )
    message.save(
        update_fields=[
            "status",
            "delivered_at",
            "read_at",
            "status_changed_at",
            "last_error_code",
        ]
    )
    if status != before[0]:
        events.emit(STATUS_CHANGED, actor=INBOUND, message=message)
    return True


def _statuses(*statuses) -> Q:
    return Q(status__in=statuses)


@transaction.atomic
def inbound_receive(message: InboundMessage) -> bool:
    """A customer wrote to us (WhatsApp/SMS). A STOP reply ("STOP", "BERHENTI", "UNREG" …,
    consent's ``is_stop_reply``) withdraws MARKETING on that channel at once for every customer
    with that number (consent's ``consent_withdraw_by_reply``: CHANGE_CONSENT, the channel as
    source). Any other message is handed on as the event ``messaging.inbound_received``
    (``actor``, ``message``: the ``InboundMessage``) in this transaction; the case intake
    (``integrations``, above us) keeps it. Messaging itself stores no text: the arrival is
    audited with its channel, provider and whether it was a STOP (no number, no text). Every
    inbound message moves the customers' ``LastInbound`` (``service_window``: it opens
    WhatsApp's 24-hour customer service window). The same message again (the provider's id
    seen before: a retried or replayed webhook) changes nothing; returns False then.
    """
    from amanah.messaging import service_window

    if not _first_receipt(message):
        logger.info("messaging: inbound message seen before, ignored")
        return False

    # Writing to us opens WhatsApp's 24-hour service window (kept for every channel).
    opened = service_window.record_inbound(
        channel=message.channel, from_address=message.from_address, at=message.at
    )
    stop = is_stop_reply(message.text)
    withdrawn = 0
    if stop:
        withdrawn = len(
            consent_withdraw_by_reply(channel=message.channel, from_address=message.from_address)
        )
    else:
        # The case intake (integrations, above us) turns it into a case or a queued message.
        events.emit(INBOUND_RECEIVED, actor=INBOUND, message=message)
    audit.record(
        actor=INBOUND,
        action=AuditAction.RECEIVE_MESSAGE,
        object_type="messaging.Inbound",
        object_id=message.channel,
        meta={
            "provider": message.provider,
            "channel": message.channel,
            "count": 1,
            "stop": stop,
            "withdrawn": withdrawn,
            "customers": opened,
        },
    )
    return True


def _first_receipt(message: InboundMessage) -> bool:
    """Keep the provider's id of an inbound message once; False when it was kept before. A
    provider that gives no id cannot be deduplicated: every delivery counts."""
    if not message.provider_message_id:
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO messaging_inboundreceipt (provider, provider_message_id, received_at)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [message.provider[:40], message.provider_message_id[:200], timezone.now()],
        )
        return cursor.fetchone() is not None


def sent_since(purpose: str, channel: str, since):
    """Consent's frequency caps count through this (``register_contact_counter``): messages
    to the customer (``OuterRef("pk")``) for ``purpose`` on ``channel`` handed to the provider
    since ``since``. Only those with ``sent_at`` count — a message being sent right now is
    SENDING and must not count against itself when the batch re-checks it."""
    return Subquery(
        Message.objects.filter(
            customer=OuterRef("pk"), purpose=purpose, channel=channel, sent_at__gte=since
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


# A dead letter, or a message the provider refused when we handed it over. A failure the
# provider reported *after* accepting it (a callback) is not retried under the same id: the
# provider would drop it as a duplicate, and its history says FAILED for good.
RETRYABLE = Q(status=MessageStatus.DEAD) | Q(status=MessageStatus.FAILED, provider_message_id="")


@transaction.atomic
def message_retry(*, actor, message_id) -> Message:
    """Queue a dead (or failed) message again, now, with a fresh attempt count. ADMIN only
    (MESSAGE_RETRY); out of scope or unknown is 404; audited."""
    authz.require(actor, MESSAGE_RETRY)
    message = (
        Message.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound()
    if not Message.objects.filter(RETRYABLE, pk=message.pk).exists():
        raise ServiceError("not_retryable", _("Hanya pesan gagal yang dapat dikirim ulang."))
    before = message.status
    now = timezone.now()
    message.status, message.attempts, message.next_attempt_at = MessageStatus.QUEUED, 0, now
    message.status_changed_at, message.sending_since = now, None
    message.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "status_changed_at",
            "sending_since",
        ]
    )
    from amanah.messaging.tasks import dispatch_soon

    dispatch_soon(message.channel)
    audit.record(
        actor=actor,
        action=AuditAction.RETRY_MESSAGE,
        obj=message,
        meta={"channel": message.channel, "from": before, "last_error": message.last_error_code},
    )
    return message


MOVE_TO_SURVIVOR = """
    UPDATE messaging_message m SET customer_id = %(survivor)s
     WHERE m.customer_id = %(absorbed)s
       AND NOT EXISTS (
           SELECT 1 FROM messaging_message s
            WHERE s.customer_id = %(survivor)s AND s.source = m.source
              AND s.source_id = m.source_id AND s.channel = m.channel AND s.step = m.step)
"""


def messages_move_to_survivor(absorbed, survivor) -> int:
    """Merge mover: a customer's messages follow them to the surviving record. One whose key
    the survivor already has (the same step went to both records) stays with the absorbed
    record, which keeps its history; the unique key would refuse it anyway."""
    with connection.cursor() as cursor:
        cursor.execute(MOVE_TO_SURVIVOR, {"survivor": survivor.pk, "absorbed": absorbed.pk})
        return cursor.rowcount
