"""Every change to an area incident: grouping a classified complaint, opening, resolving.

Grouping is the handler of ``cases.case_classified`` and runs in the classifying
transaction (the complaint and its link commit together). Two complaints of one outage
classified at the same moment must not open two incidents, and must not both miss the
threshold either (each counting only itself under READ COMMITTED): every write for one area
and category first takes a transaction-scoped advisory lock on that pair, so counting and
opening are serial per outage and unrelated areas never wait on each other. The partial
unique constraint ``utility_incident_one_open`` is the database's own guarantee behind it.

Lock order: the advisory lock, then the incident row, then (audit) the chain — the same order
as a resolve (incident row, then the chain), so the two cannot deadlock.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.policies import CASE_CLOSE, CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.utility.incidents.models import AreaIncident, IncidentComplaint, IncidentStatus
from amanah.utility.models import Connection, ConnectionStatus, ServiceArea
from amanah.utility.policies import INCIDENT_MANAGE

logger = logging.getLogger(__name__)

WORKFLOW_KEY = "utility.incident"
INCIDENT_OPENED = "utility.incident_opened"  # (actor, incident)
OPENED, RESOLVED = "OPENED", "RESOLVED"  # the notice kinds
NOTE_MAX = 2000
CAUSE_MAX = 300
RESTORE_HORIZON = timedelta(days=30)  # an expected restore time further out is a typo

# The system, when it groups complaints and opens an incident, and when it resolves and
# closes the linked complaints (which may be of any branch of the area).
INCIDENTS = declare_actor(
    "utility-incidents",
    permissions=(INCIDENT_MANAGE, CASE_VIEW, CASE_VIEW_BRANCH, CASE_UPDATE, CASE_CLOSE),
    all_branches=True,
)


def _actor_label(actor) -> str:
    return str(getattr(actor, "username", "") or getattr(actor, "label", "") or actor)[:64]


def _serialise(area_id: int, category: str) -> None:
    """Hold the area+category's advisory lock until the transaction ends (see the module)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"utility.incident:{area_id}:{category}"]
        )


def _open_incident(area_id: int, category: str) -> AreaIncident | None:
    return (
        AreaIncident.objects.select_for_update(no_key=True, of=("self",))
        .filter(area_id=area_id, category=category, status=IncidentStatus.OPEN)
        .first()
    )


def _defer_notices(incident: AreaIncident, kind: str) -> None:
    """The pelanggan of the area are told once the change has committed (never for one that
    rolled back); the job is batched and idempotent (``notices``)."""
    from amanah.utility.tasks import incident_notice_job

    transaction.on_commit(
        partial(incident_notice_job.defer, incident_id=incident.pk, kind=kind, after="")
    )


def _create(actor, *, area_id: int, category: str, branch_id: int, **told) -> AreaIncident:
    """``told``: the cause and the expected restore time, when known."""
    now = timezone.now()
    incident = AreaIncident.objects.create(
        area_id=area_id,
        category=category,
        branch_id=branch_id,
        opened_at=now,
        opened_by=_actor_label(actor),
        updated_at=now,
        **told,
    )
    return incident


def _attach(incident: AreaIncident, links) -> int:
    """Attach the complaints ``links`` (a queryset of IncidentComplaint) to the locked
    ``incident``; returns how many were attached."""
    count = links.filter(incident__isnull=True).update(incident=incident)
    if count:
        incident.complaint_count += count
        incident.updated_at = timezone.now()
        incident.save(update_fields=["complaint_count", "updated_at"])
    return count


def _opened(actor, incident: AreaIncident, *, trigger: str) -> None:
    events.emit(INCIDENT_OPENED, actor=actor, incident=incident)
    audit.record(
        actor=actor,
        action=AuditAction.OPEN_AREA_INCIDENT,
        obj=incident,
        meta={
            "area": incident.area.code,
            "category": incident.category,
            "complaints": incident.complaint_count,
            "trigger": trigger,
            "restore_expected": incident.expected_restore_at is not None,
        },
    )
    _defer_notices(incident, OPENED)


# --------------------------------------------------------------------------- grouping


def complaint_classified(*, actor, case, **_ignored) -> IncidentComplaint | None:
    """Handler of ``cases.case_classified`` (in the classifying transaction): an outage-like
    complaint of a pelanggan joins the open incident of its area and category, or waits; the
    one that brings the waiting ones to the threshold within the window opens the incident.
    Idempotent: a case already counted (classified again, or the event replayed) is left as
    it is. Nothing happens when the grouping is off (threshold 0), for other categories or for
    a customer without a water connection."""
    threshold = settings.UTILITY_INCIDENT_THRESHOLD
    category = case.category_id
    if threshold <= 0 or category not in settings.UTILITY_INCIDENT_CATEGORIES:
        return None
    if IncidentComplaint.objects.filter(case_id=case.pk).exists():
        return None
    place = (
        Connection.objects.filter(customer_id=case.customer_id)
        .values_list("area_id", "branch_id")
        .first()
    )
    if place is None:
        return None
    area_id, branch_id = place
    _serialise(area_id, category)
    link = IncidentComplaint.objects.create(
        case=case, area_id=area_id, category=category, received_at=case.received_at
    )
    incident = _open_incident(area_id, category)
    if incident is not None:
        _attach(incident, IncidentComplaint.objects.filter(pk=link.pk))
        return link
    since = timezone.now() - timedelta(minutes=settings.UTILITY_INCIDENT_WINDOW_MINUTES)
    waiting = IncidentComplaint.objects.filter(
        area_id=area_id, category=category, incident__isnull=True, received_at__gte=since
    )
    if waiting.count() < threshold:
        return link
    incident = _create(INCIDENTS, area_id=area_id, category=category, branch_id=branch_id)
    _attach(incident, waiting)
    _opened(INCIDENTS, incident, trigger="threshold")
    link.incident = incident
    return link


# --------------------------------------------------------------------------- by hand


def _clean_cause(value) -> str:
    """One line (told in an SMS): runs of whitespace become one space."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    return required_text(text, field="cause", label=_("Penyebab gangguan"), maximum=CAUSE_MAX)


def _clean_restore(value):
    """None (not known yet) or a moment after now and within ``RESTORE_HORIZON``."""
    if value is None:
        return None
    now = timezone.now()
    if timezone.is_naive(value) or not now < value <= now + RESTORE_HORIZON:
        raise ServiceError(
            "incident_restore_invalid",
            _("Perkiraan waktu pulih harus setelah sekarang dan paling lambat 30 hari lagi."),
            field="expected_restore_at",
        )
    return value


@transaction.atomic
def incident_open(
    *,
    actor,
    area_code: str,
    category: str,
    branch,
    cause: str,
    expected_restore_at=None,
    case_ids=(),
) -> AreaIncident:
    """Open an incident by hand (a supervisor who knows of an outage before the complaints
    come in; the demo's seeded outage): INCIDENT_MANAGE, an active area, an outage-like
    category, none open for that pair, the cause (told to the pelanggan) and, when known,
    the expected restore time (after now, within 30 days); the complaints ``case_ids``
    already counted for that area and category and not yet grouped are attached. The area's
    pelanggan are told once it commits (``notices``)."""
    authz.require(actor, INCIDENT_MANAGE)
    if category not in settings.UTILITY_INCIDENT_CATEGORIES:
        raise ServiceError(
            "incident_category", _("Kategori ini bukan gangguan wilayah."), field="category"
        )
    code = area_code.strip() if isinstance(area_code, str) else ""
    areas = ServiceArea.objects.filter(code=code, active=True)
    area = areas.first() if code.isprintable() else None
    if area is None:
        raise ServiceError("unknown_area", _("Wilayah layanan tidak dikenal."), field="area")
    told = {
        "cause": _clean_cause(cause),
        "expected_restore_at": _clean_restore(expected_restore_at),
    }
    if branch is None or not authz.branch_scope(actor).allows(branch.pk):
        raise NotFound()
    _serialise(area.pk, category)
    if _open_incident(area.pk, category) is not None:
        raise ServiceError(
            "incident_already_open",
            _("Sudah ada gangguan terbuka untuk wilayah dan kategori ini."),
            field="category",
        )
    incident = _create(actor, area_id=area.pk, category=category, branch_id=branch.pk, **told)
    _attach(
        incident,
        IncidentComplaint.objects.filter(case_id__in=list(case_ids), area=area, category=category),
    )
    _opened(actor, incident, trigger="manual")
    return incident


# --------------------------------------------------------------------------- resolving


def _clean_note(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or not all(c.isprintable() or c in "\n\r\t" for c in text):
        raise ServiceError(
            "resolution_note_required",
            _("Isi catatan penyelesaian gangguan."),
            field="resolution_note",
        )
    if len(text) > NOTE_MAX:
        raise ServiceError(
            "resolution_note_too_long",
            _("Catatan penyelesaian maks. %(n)d karakter.") % {"n": NOTE_MAX},
            field="resolution_note",
        )
    return text


def _clean_code(value) -> str:
    """A resolution code of the cases' configured list (the grouped complaints are resolved
    with it), never free text."""
    from amanah.cases.services import is_resolution_code, normalise_resolution_code

    code = normalise_resolution_code(value)
    if not is_resolution_code(code):
        raise ServiceError(
            "resolution_code_invalid",
            _("Pilih kode penyelesaian dari daftar."),
            field="resolution_code",
        )
    return code


def on_apply(incident: AreaIncident, *, transition, data, at) -> list[str]:
    """What resolving implies, on the locked incident (the engine saves it)."""
    incident.resolution_note = _clean_note(data.get("resolution_note"))
    incident.resolution_code = _clean_code(data.get("resolution_code"))
    incident.resolved_at = at
    incident.resolved_by = _actor_label(data.get("actor"))
    incident.updated_at = at
    return ["resolution_note", "resolution_code", "resolved_at", "resolved_by", "updated_at"]


@transaction.atomic
def incident_resolve(
    *, actor, incident_id, resolution_note: str, resolution_code: str
) -> AreaIncident:
    """OPEN → RESOLVED through the engine (permission, scope as 404, history, audit
    MOVE_AREA_INCIDENT, event ``utility.incident.transitioned``, whose handler resolves and
    closes the grouped complaints)."""
    from amanah.workflow.contract import transition_apply

    incident = (
        AreaIncident.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound()
    _lock_open_complaints(incident)
    return transition_apply(
        actor=actor,
        obj=incident,
        to=IncidentStatus.RESOLVED,
        resolution_note=_clean_note(resolution_note),
        resolution_code=_clean_code(resolution_code),
    )


def _lock_open_complaints(incident: AreaIncident) -> None:
    """Lock order of a resolve: the incident row, its open complaints' rows (by id), then —
    in the engine — the audit chain; the handler below then takes no row lock after the
    chain's, as every case service takes its row before the chain."""
    from amanah.cases.models import OPEN_STATUSES, Case

    rows = Case.objects.select_for_update(of=("self",), no_key=True).filter(
        area_incident_link__incident=incident, status__in=OPEN_STATUSES
    )
    list(rows.order_by("pk").values_list("pk", flat=True))


def incident_transitioned(*, actor, obj, to_status, revert=False, **_ignored) -> None:
    """Handler of ``utility.incident.transitioned`` (in the resolve's transaction): every
    linked complaint still open is answered and closed (``_close_complaint``), then the
    area's pelanggan are told."""
    if to_status != IncidentStatus.RESOLVED or revert:
        return
    incident = obj
    linked = (
        incident.complaints.select_related("case")
        .order_by("case_id")  # one order for every lock taken here
        .only("case")
    )
    closed = left = 0
    for link in linked:
        if link.case.is_open:
            done = _close_complaint(incident, link.case)
            closed, left = closed + done, left + (not done)
    logger.info("utility: incident resolved complaints closed=%s left_open=%s", closed, left)
    _defer_notices(incident, RESOLVED)


def _close_complaint(incident: AreaIncident, case) -> bool:
    """One grouped complaint, through the cases services and their workflow, by the system
    (the supervisor may not hold every branch of the area): a system annotation (not a
    response: ``cases.sla.is_first_response``), the final response to the complainant with
    the incident's resolution code (→ RESOLVED: the hub sends it), the close (CLOSE_CASE,
    ``cases.case_closed``). A case the workflow refuses (a move an ADMIN disabled) stays
    open with the annotation for an agent to finish; the incident is resolved regardless."""
    from amanah.cases import services as cases
    from amanah.cases.models import CaseStatus, NoteKind

    values = {"number": incident.number, "note": incident.resolution_note}
    note = _("Gangguan wilayah %(number)s telah ditangani: %(note)s") % values
    cases.case_add_note(actor=INCIDENTS, case=case, message=note[:5000], kind=NoteKind.SYSTEM)
    answer = _("Gangguan layanan air di wilayah Anda (%(number)s) telah ditangani: %(note)s")
    try:
        with transaction.atomic():  # a refusal undoes this complaint's moves only
            if case.status == CaseStatus.WAITING_INFO:
                cases.case_change_status(
                    actor=INCIDENTS, case=case, to_status=CaseStatus.IN_PROGRESS
                )
            case = cases.case_final_response(
                actor=INCIDENTS,
                case=case,
                text=(answer % values)[:5000],
                resolution_code=incident.resolution_code,
            )
            cases.case_close(actor=INCIDENTS, case=case)
    except (ServiceError, PermissionDenied) as refused:
        logger.warning(
            "utility: incident complaint left open (%s)", getattr(refused, "code", "denied")
        )
        return False
    return True


def affected_connections(incident: AreaIncident):
    """The pelanggan told of an incident: the active connections of its area."""
    return Connection.objects.filter(area_id=incident.area_id, status=ConnectionStatus.ACTIVE)
