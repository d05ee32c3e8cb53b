"""Messages on a channel the deployment has not configured (no adapter: no WHATSAPP_*, SMS_*,
EMAIL_HOST … in its environment, ``messaging.channel_settings``).

Such a message would wait for ever, and the agent would believe it sent. It fails at once
instead, with the code ``channel_not_configured`` (its Indonesian label on the Komunikasi tab
and the dead letters): ``queueing.message_queue`` writes it FAILED, and the dispatcher — the
dispatch job runs right after any queueing — fails what the many-forms queued
(:func:`fail_waiting`). A receipt among them is noted on its case ("Tanda terima TIDAK
terkirim", ``not_sent``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.providers import NOT_CONFIGURED

logger = logging.getLogger(__name__)


@transaction.atomic
def fail_waiting(channel: str, at: datetime, limit: int, *, actor) -> dict:
    """Fail up to ``limit`` waiting messages of ``channel`` (due or not), audited as ``actor``
    (the dispatcher) with the count; returns the dispatcher's counts."""
    ids = list(
        Message.objects.select_for_update(of=("self",), no_key=True, skip_locked=True)
        .filter(channel=channel, status__in=(MessageStatus.QUEUED, MessageStatus.SENDING))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return {"claimed": 0}
    Message.objects.filter(pk__in=ids).update(
        status=MessageStatus.FAILED,
        last_error_code=NOT_CONFIGURED,
        status_changed_at=at,
        sending_since=None,
    )
    logger.warning("messaging: %d message(s) failed, %s not configured", len(ids), channel)
    audit.record(
        actor=actor,
        action=AuditAction.DISPATCH_MESSAGES,
        object_type="messaging.Message",
        object_id=channel,
        meta={"provider": "", "messages": len(ids), "failed": len(ids), "reason": NOT_CONFIGURED},
    )
    return {"claimed": len(ids), "failed": len(ids)}
