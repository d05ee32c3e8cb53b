"""A line on the case's activity log when a message to the customer about the case was NOT
sent (issue 12): the receipt could not be queued (no approved template, no address on any
channel, refused) or the outbox gave up on it later (failed, bounced, cancelled at sending).
The agent reads it on the case page and hands the receipt over another way.

Cases sits below the messaging hub and never imports it: messaging calls this published
function (``cases.contract.case_notices_not_sent``) with its own reason codes and their
Indonesian labels. The line holds the notice kind, the reason code and its label — never an
address or a message body. One line per case, notice and reason, however often it is called
(the case rows are locked first, so two callers cannot both add it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import ActivityType, Case, CaseActivity
from amanah.cases.policies import CASE_UPDATE
from amanah.iam import authz


@dataclass(frozen=True)
class NoticeNotSent:
    """One message about a case that did not go: ``notice`` its kind (``receipt``), ``reason``
    a short code, ``label`` what the agent reads (Indonesian, no address, no body)."""

    case_id: object
    notice: str
    reason: str
    label: str


def _notice_name(notice: str) -> str:
    return _("Tanda terima") if notice == "receipt" else notice


def _noted(keys) -> set[tuple[str, str, str]]:
    case_ids = sorted({key[0] for key in keys})
    return {
        (str(case_id), meta.get("notice"), meta.get("reason"))
        for case_id, meta in CaseActivity.objects.filter(
            case_id__in=case_ids, activity_type=ActivityType.NOTICE
        ).values_list("case_id", "meta")
    }


def _case_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


@transaction.atomic
def case_notices_not_sent(*, actor, notes: Iterable[NoticeNotSent]) -> int:
    """Add the missing "not sent" lines; returns how many were added. Cases out of the
    actor's scope (or gone, or not a case id) are passed over; a (case, notice, reason)
    already noted adds nothing — and locks nothing: the case rows are locked (in id order)
    only when a line is missing, and the lines are read again under the lock."""
    authz.require(actor, CASE_UPDATE)
    wanted = {}
    for note in notes:
        case_id = _case_id(note.case_id)
        if case_id is not None:
            key = (case_id, str(note.notice)[:32], str(note.reason)[:64])
            wanted.setdefault(key, str(note.label)[:300])
    noted = _noted(wanted)
    wanted = {key: label for key, label in wanted.items() if key not in noted}
    if not wanted:
        return 0
    cases = {
        str(case.pk): case
        for case in Case.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk__in=sorted({key[0] for key in wanted}))
        .order_by("pk")
    }
    noted = _noted(wanted)
    lines = []
    for (case_id, notice, reason), label in sorted(wanted.items()):
        if case_id not in cases or (case_id, notice, reason) in noted:
            continue
        message = _("%(notice)s TIDAK terkirim ke nasabah: %(reason)s. Serahkan dengan cara lain.")
        lines.append(
            CaseActivity(
                case=cases[case_id],
                activity_type=ActivityType.NOTICE,
                message=message % {"notice": _notice_name(notice), "reason": label},
                actor=None,
                actor_label=getattr(actor, "username", "system"),
                meta={"notice": notice, "reason": reason},
            )
        )
    CaseActivity.objects.bulk_create(lines)
    for line in lines:
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE_CASE,
            obj=line.case,
            meta={"activity": ActivityType.NOTICE, "notice": line.meta["notice"],
                  "reason": line.meta["reason"]},
        )  # fmt: skip
    return len(lines)
