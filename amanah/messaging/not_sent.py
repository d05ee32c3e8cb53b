"""A case receipt that did not reach the customer is noted on the case (issue 12).

The agent promised the complainant a receipt; when it does not go, the case's activity log
says so and why, so the agent hands it over another way (printed, at the counter, by phone).
Two moments:

* **at queueing** (``notices.case_receipt``, the deferred job after the case's commit): no
  approved ``case.receipt`` template for a channel the customer has an address on
  (``no_template``), no e-mail and no WhatsApp number (``no_address``), the outbox refused it
  (``refused``), contactability cancelled it at once (``not_contactable``) or no channel the
  customer has an address on is configured on this server (``not_configured``);
* **later** — the dispatcher cancelled it at sending (``not_contactable``), the provider
  refused it for good or it ran out of retries (``failed``: FAILED / DEAD), the receiving
  server bounced it (``bounced``), its channel lost its configuration (``not_configured``).
  The dispatcher (``dispatch.py``) and the webhooks only
  write the outbox; ``receipts_not_sent_note`` (the job ``tasks.receipts_not_sent``, every
  five minutes) reads the
  receipts that ended so in the last ``LOOKBACK`` (the partial index
  ``message_receipt_not_sent`` keeps that read to those few rows) and notes each. A day's
  look-back outlives a stopped worker or a late webhook; the note is idempotent.

Cases sits below messaging: the line is written by the published
``cases.contract.case_notices_not_sent`` under ``NOTE_WRITER``, an integration actor that
sees every branch's cases and may add a line, nothing more. One line per case and reason.
The label is Indonesian and names no address and no body; nothing here is logged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.cases.contract import NoticeNotSent, case_notices_not_sent
from amanah.cases.policies import CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.consent.contract import reason_label
from amanah.core.actors import declare_actor
from amanah.messaging.models import Message, MessageSource, MessageStatus
from amanah.messaging.models.outbox import ERROR_LABELS
from amanah.messaging.providers import NOT_CONFIGURED

NOTE_WRITER = declare_actor(
    "messaging-receipt-notes",
    permissions=(CASE_VIEW, CASE_VIEW_BRANCH, CASE_UPDATE),
    all_branches=True,
)
RECEIPT_STEP = "receipt"
LOOKBACK = timedelta(days=1)
ENDED = (
    MessageStatus.FAILED,
    MessageStatus.DEAD,
    MessageStatus.BOUNCED,
    MessageStatus.CANCELLED,
)

REASONS = {
    "no_template": gettext_lazy(
        "tidak ada templat tanda terima yang disetujui untuk email atau WhatsApp nasabah"
    ),
    "no_address": gettext_lazy("nasabah tidak punya alamat email maupun nomor WhatsApp"),
    "refused": gettext_lazy("ditolak oleh kotak keluar pesan"),
    "not_contactable": gettext_lazy("nasabah tidak dapat dihubungi lewat pesan"),
    "failed": gettext_lazy("pengiriman gagal di penyedia"),
    "bounced": gettext_lazy("ditolak server penerima"),
    "not_configured": gettext_lazy(
        "kanal pengirimannya belum dikonfigurasi di server (tidak ada penyedia)"
    ),
}


def _label(reason: str, detail: str = "") -> str:
    label = str(REASONS[reason])
    return f"{label} ({detail})" if detail else label


def receipt_not_sent(case_id, reason: str, detail: str = "") -> int:
    """Note on the case that its receipt was not sent, for ``reason`` (a key of REASONS)."""
    return case_notices_not_sent(
        actor=NOTE_WRITER,
        notes=[NoticeNotSent(case_id, RECEIPT_STEP, reason, _label(reason, detail))],
    )


def ended_reason(status: str, cancel_reason: str = "", error_code: str = "") -> tuple[str, str]:
    """(reason, detail) of a receipt that ended without reaching the customer."""
    if status == MessageStatus.CANCELLED:
        return "not_contactable", reason_label(cancel_reason) if cancel_reason else ""
    if status == MessageStatus.BOUNCED:
        return "bounced", ""
    if error_code == NOT_CONFIGURED:
        return "not_configured", ""
    return "failed", str(ERROR_LABELS.get(error_code, "")) or (
        _("gagal berulang") if status == MessageStatus.DEAD else ""
    )


def receipts_not_sent_note(*, at: datetime | None = None) -> int:
    """Note every case whose receipt ended unsent in the last ``LOOKBACK``; returns the lines
    added (0 on a second run)."""
    since = (at or timezone.now()) - LOOKBACK
    rows = Message.objects.filter(
        source=MessageSource.CASE,
        step=RECEIPT_STEP,
        status__in=ENDED,
        status_changed_at__gte=since,
    ).values_list("source_id", "status", "cancel_reason", "last_error_code")
    notes = []
    for case_id, status, cancel_reason, error_code in rows:
        reason, detail = ended_reason(status, cancel_reason, error_code)
        notes.append(NoticeNotSent(case_id, RECEIPT_STEP, reason, _label(reason, detail)))
    if not notes:
        return 0
    return case_notices_not_sent(actor=NOTE_WRITER, notes=notes)
