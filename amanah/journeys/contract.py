"""Journeys in the house: the workflow of a journey version (four eyes), the domain events
that start journeys or wake their waits, the outbox's names for journey messages, the audit
viewer's labels, the merge mover and the access-export section."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.audit.models import AuditAction
from amanah.consent.contract import CONSENT_CHANGED, SUPPRESSION_ADDED
from amanah.core import events, registry
from amanah.core.contributions import (
    NavItem,
    TimelineEvent,
    TimelineKind,
    TimelineProvider,
    in_window,
    timeline_read,
)
from amanah.journeys import engine as _engine  # noqa: F401 (its job's declared actor)
from amanah.journeys import policies, services, triggers
from amanah.journeys import subject as _subject_section
from amanah.journeys.models import (
    CustomerTag,
    EndReason,
    EnrollmentStatus,
    ExitReason,
    JourneyEnrollment,
    JourneyStep,
    MarketingJourney,
)
from amanah.journeys.models import JourneyStatus as S
from amanah.messaging.contract import MessageSource, register_source_labels
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = ["journey_names", "journey_steps", "move_journeys"]

# --------------------------------------------------------------------------- workflow

FOUR_EYES = register_guard(
    "journeys.journey.four_eyes",
    services.decided_by_someone_else,
    message=gettext_lazy(
        "Pembuat atau pengaju journey tidak boleh menyetujui/menolak journey itu sendiri."
    ),
)

MANAGE, APPROVE = policies.JOURNEY_MANAGE, policies.JOURNEY_APPROVE


def _move(a, b, label, permission=MANAGE, action=AuditAction.MOVE_JOURNEY, **more):
    return TransitionSpec(a, b, permission, label, audit_action=action, **more)


declare_workflow(
    WorkflowSpec(
        key="journeys.journey",
        model="journeys.MarketingJourney",
        status_field="status",
        label=gettext_noop("Journey pemasaran"),
        audit_action=AuditAction.MOVE_JOURNEY,
        on_apply=services.journey_on_apply,
        transitions=(
            _move(
                S.DRAFT,
                S.SUBMITTED,
                gettext_noop("Ajukan untuk persetujuan"),
                action=AuditAction.SUBMIT_JOURNEY,
            ),
            _move(
                S.SUBMITTED,
                S.APPROVED,
                gettext_noop("Setujui"),
                APPROVE,
                AuditAction.APPROVE_JOURNEY,
                guard=FOUR_EYES,
            ),
            _move(
                S.SUBMITTED,
                S.REJECTED,
                gettext_noop("Tolak"),
                APPROVE,
                AuditAction.REJECT_JOURNEY,
                guard=FOUR_EYES,
                required=("note",),
            ),
            _move(S.REJECTED, S.DRAFT, gettext_noop("Ubah lagi")),
            _move(S.APPROVED, S.ACTIVE, gettext_noop("Aktifkan")),
            _move(S.ACTIVE, S.PAUSED, gettext_noop("Jeda")),
            _move(S.PAUSED, S.ACTIVE, gettext_noop("Lanjutkan")),
            _move(S.ACTIVE, S.COMPLETED, gettext_noop("Selesaikan")),
            _move(S.PAUSED, S.COMPLETED, gettext_noop("Selesaikan")),
            _move(S.COMPLETED, S.ARCHIVED, gettext_noop("Arsipkan")),
            _move(S.PAUSED, S.ARCHIVED, gettext_noop("Arsipkan")),
            _move(S.DRAFT, S.ARCHIVED, gettext_noop("Arsipkan")),
            _move(S.REJECTED, S.ARCHIVED, gettext_noop("Arsipkan")),
        ),
    )
)

registry.navigation.register(
    "journeys.list",
    NavItem(gettext_lazy("Journey"), "journeys:list", policies.JOURNEY_VIEW),
    order=65,
)

# --------------------------------------------------------------------------- events

for _event in triggers.EVENT_TRIGGERS:
    events.on(_event, triggers.handler_for(_event))
# A withdrawal of marketing consent or a do-not-contact entry ends the customer's journeys at
# once (CONSENT_WITHDRAWN / DO_NOT_CONTACT); every ACTION asks consent's rule again anyway.
events.on(CONSENT_CHANGED, triggers.exit_on_withdrawal)
events.on(SUPPRESSION_ADDED, triggers.exit_on_suppression)

# --------------------------------------------------------------------------- names, merges


def journey_names(ids: list[str]) -> dict[str, str]:
    rows = MarketingJourney.objects.filter(pk__in=uuid_ids(ids)).values_list(
        "pk", "name", "version"
    )
    return {str(pk): f"{name} v{version}" for pk, name, version in rows}


register_source_labels(MessageSource.JOURNEY, journey_names)
register_object_labels(
    "journeys.MarketingJourney", label=gettext_lazy("Journey pemasaran"), names=journey_names
)


def move_journeys(absorbed, survivor) -> int:
    """Merge mover: the absorbed customer's enrollments go to the survivor unless the survivor
    is in that journey version already (then the survivor's own stays and the other goes)."""
    taken = JourneyEnrollment.objects.filter(customer=survivor).values("journey_id")
    JourneyEnrollment.objects.filter(customer=absorbed, journey_id__in=taken).delete()
    moved = JourneyEnrollment.objects.filter(customer=absorbed).update(customer=survivor)
    tags = CustomerTag.objects.filter(customer=survivor).values("tag")
    CustomerTag.objects.filter(customer=absorbed, tag__in=tags).delete()
    CustomerTag.objects.filter(customer=absorbed).update(customer=survivor)
    return moved


registry.merge_movers.register("journeys.enrollments", move_journeys)

# --------------------------------------------------------------------------- 360 timeline


def _reason_label(code: str) -> str:
    for choices in (ExitReason, EndReason):
        if code in choices.values:
            return str(choices(code).label)
    return code


@timeline_read(JourneyStep)
def _steps(actor, *, customer, since, until, limit):
    return in_window(
        JourneyStep.objects.visible_to(actor)
        .filter(enrollment__customer=customer)
        .select_related("journey", "node")
        .only(
            "at",
            "outcome",
            "branch",
            "reason",
            "journey__name",
            "journey__version",
            "node__label",
            "node__type",
        ),
        "at",
        since,
        until,
    ).order_by("-at", "-id")[:limit]


@timeline_read(JourneyEnrollment)
def _quarantined(actor, *, customer, since, until, limit):
    if JourneyStep.objects.visible_to(actor).query.is_empty():  # journey staff only
        return JourneyEnrollment.objects.none()
    return in_window(
        JourneyEnrollment.objects.visible_to(actor)
        .filter(customer=customer, status=EnrollmentStatus.ERROR)
        .select_related("journey", "current_node"),
        "ended_at",
        since,
        until,
    ).order_by("-ended_at")[:limit]


def journey_steps(customer, *, actor, since=None, until=None, limit=50) -> list[TimelineEvent]:
    """Every node a customer passed or left a journey at (one step row each), and the
    enrollments in quarantine (a step that failed). For journey staff who may see the
    customer; nobody else pays a query (``JourneyStep``'s declared ``view``)."""
    window = {"customer": customer, "since": since, "until": until, "limit": limit}
    events = []
    for step in _steps(actor, **window):
        detail = step.get_outcome_display()
        if step.branch:
            detail = _("%(outcome)s — jalur %(branch)s") % {
                "outcome": detail,
                "branch": step.branch,
            }
        if step.reason:
            detail = f"{detail} — {_reason_label(step.reason)}"
        events.append(
            TimelineEvent(
                at=step.at,
                kind="JOURNEY",
                title=f"{step.journey.name} v{step.journey.version}: "
                f"{step.node.label or step.node.get_type_display()}",
                detail=detail,
            )
        )
    for row in _quarantined(actor, **window):
        node = row.current_node
        events.append(
            TimelineEvent(
                at=row.ended_at,
                kind="JOURNEY",
                title=f"{row.journey.name} v{row.journey.version}: "
                f"{node.label or node.get_type_display()}",
                detail=_("Karantina — %s") % _reason_label(row.exit_reason),
            )
        )
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


registry.timeline_kinds.register(
    "JOURNEY", TimelineKind(gettext_lazy("Journey pemasaran")), order=35
)
registry.timeline_providers.register("journeys.steps", TimelineProvider("JOURNEY", journey_steps))
registry.subject_sections.register("journeys", _subject_section.SECTION)
