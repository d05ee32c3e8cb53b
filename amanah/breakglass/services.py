"""Every write of break-glass: ask (or open at once in an emergency), decide, review.

Each runs in one transaction: permission and scope, validation, the row, the audit row and
the domain event. Decisions and reviews are moves of the workflow engine (``breakglass.grant``),
whose four-eyes guard refuses the requester; the database refuses it too (CHECK).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.breakglass.models import OPEN_STATUSES, BreakGlassGrant, GrantStatus
from amanah.breakglass.policies import BREAKGLASS_DECIDE, BREAKGLASS_REQUEST
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.workflow.contract import transition_apply

REQUESTED = "breakglass.requested"
REVIEW_WITHIN = timedelta(hours=24)
TEXT_MAX = 2000


def clean_reason(reason) -> str:
    """The reason as stored, or a clear refusal (too short, too long, control characters)."""
    reason = (reason if isinstance(reason, str) else "").strip()
    if problem_in_text(reason) or len(reason) > TEXT_MAX:
        raise ServiceError(
            "reason_invalid",
            _("Alasan memuat karakter yang tidak diizinkan atau terlalu panjang."),
            field="reason",
        )
    minimum = settings.BREAK_GLASS_REASON_MIN
    if len(reason) < minimum:
        raise ServiceError(
            "reason_required",
            _("Tuliskan alasan (minimal %(count)d karakter).") % {"count": minimum},
            field="reason",
        )
    return reason


def _clean_note(note) -> str:
    note = (note if isinstance(note, str) else "").strip()
    if problem_in_text(note) or len(note) > TEXT_MAX:
        raise ServiceError(
            "note_invalid",
            _("Catatan memuat karakter yang tidak diizinkan atau terlalu panjang."),
            field="note",
        )
    return note


def _one_request_at_a_time(actor, customer: Customer) -> None:
    """Serialise the requests of one requester for one customer until this transaction ends.

    The duplicate check below reads, then inserts; two submits at once (a double click, two
    tabs) both found nothing and both inserted — two open emergency grants (the unique
    constraint covers only pending requests). A transaction-scoped advisory lock per
    (requester, customer) makes the second wait for the first to commit, then see its row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"breakglass.request:{actor.pk}:{customer.pk}"],
        )


@transaction.atomic
def breakglass_request(
    *, actor, customer: Customer, reason: str, emergency: bool = False
) -> BreakGlassGrant:
    """Ask for detailed access to ``customer``; in an emergency it opens at once for
    ``BREAK_GLASS_MINUTES`` and must be reviewed by someone else within 24 hours. One request
    per requester and customer at a time (``_one_request_at_a_time``)."""
    authz.require(actor, BREAKGLASS_REQUEST)
    if not authz.branch_scope(actor).allows(customer.home_branch_id):
        raise NotFound()
    reason = clean_reason(reason)
    _one_request_at_a_time(actor, customer)
    now, minutes = timezone.now(), settings.BREAK_GLASS_MINUTES
    already = ServiceError(
        "already_requested",
        _("Anda sudah punya permintaan atau akses darurat yang berlaku untuk nasabah ini."),
    )
    mine = BreakGlassGrant.objects.filter(requested_by_id=actor.pk, customer=customer)
    if (
        mine.filter(status=GrantStatus.REQUESTED).exists()
        or mine.filter(status__in=OPEN_STATUSES, opened_at__lte=now, expires_at__gt=now).exists()
    ):
        raise already
    try:
        grant = _create(actor, customer, reason, emergency, now, minutes)
    except IntegrityError:  # the same request twice at once: one pending row (constraint)
        raise already from None
    authz.forget(actor)  # an emergency grant opens the customer from the next read on
    return grant


def _create(actor, customer, reason, emergency, now, minutes) -> BreakGlassGrant:
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            customer=customer,
            requested_by=actor,
            requested_role=getattr(actor, "active_role", "") or "",
            reason=reason,
            emergency=emergency,
            status=GrantStatus.EMERGENCY if emergency else GrantStatus.REQUESTED,
            requested_at=now,
            minutes=minutes,
            opened_at=now if emergency else None,
            expires_at=now + timedelta(minutes=minutes) if emergency else None,
            review_due_at=now + REVIEW_WITHIN if emergency else None,
        )
        audit.record(
            actor=actor,
            action=AuditAction.BREAK_GLASS_EMERGENCY
            if emergency
            else AuditAction.BREAK_GLASS_REQUEST,
            obj=grant,
            meta={
                "break_glass": str(grant.pk),
                "customer": str(customer.pk),
                "minutes": minutes,
                "emergency": emergency,
            },
        )
        events.emit(REQUESTED, actor=actor, grant=grant)
    return grant


def decided_by_someone_else(grant: BreakGlassGrant, data: dict) -> bool:
    """Workflow guard: the requester never approves, rejects or reviews their own grant."""
    return grant.requested_by_id != getattr(data["actor"], "pk", None)


def on_apply(grant: BreakGlassGrant, *, transition, data: dict, at) -> list[str]:
    """A decision keeps who, when and the note and opens an approved grant from now; a review
    keeps who, when and the note. The grant's id goes into the audit row."""
    actor, note = data["actor"], _clean_note(data.get("note"))
    data["audit"].update({"break_glass": str(grant.pk), "customer": str(grant.customer_id)})
    if transition.to_status == GrantStatus.REVIEWED:
        grant.reviewed_by, grant.reviewed_at, grant.review_note = actor, at, note
        return ["reviewed_by", "reviewed_at", "review_note"]
    grant.decided_by, grant.decided_at, grant.decision_note = actor, at, note
    fields = ["decided_by", "decided_at", "decision_note"]
    if transition.to_status == GrantStatus.APPROVED:
        grant.opened_at, grant.expires_at = at, at + timedelta(minutes=grant.minutes)
        fields += ["opened_at", "expires_at"]
    return fields


def _move(actor, grant: BreakGlassGrant, to: str, note: str) -> BreakGlassGrant:
    authz.require(actor, BREAKGLASS_DECIDE, grant)
    return transition_apply(actor=actor, obj=grant, to=to, note=note)


def breakglass_approve(*, actor, grant: BreakGlassGrant, note: str = "") -> BreakGlassGrant:
    """Approve someone else's request: the customer opens for them from now, time-boxed."""
    return _move(actor, grant, GrantStatus.APPROVED, note)


def breakglass_reject(*, actor, grant: BreakGlassGrant, note: str = "") -> BreakGlassGrant:
    return _move(actor, grant, GrantStatus.REJECTED, note)


def breakglass_review(*, actor, grant: BreakGlassGrant, note: str = "") -> BreakGlassGrant:
    """Review someone else's emergency access (within 24 hours of its opening)."""
    return _move(actor, grant, GrantStatus.REVIEWED, note)
