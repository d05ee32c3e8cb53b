"""SLA arithmetic for cases, on the branch's working calendar (amanah.calendars)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amanah.calendars.contract import schedule_for_branch, worktime
from amanah.cases.models import OPEN_STATUSES, NoteKind, SlaPolicy, TimeUnit

WARN_FRACTION = 0.75
OJK_RESOLUTION_DAYS = 10  # POJK 22/2023: resolved within 10 working days ...
OJK_DAYS_WITHOUT_RESOLUTION = 20  # ... or, with one extension of 10, within 20


def is_first_response(note_kind: str) -> bool:
    """The one rule for what a note does to the first-response clock: a note by a member of
    staff working on the case stops it (as a reply, a hand move or the final response do);
    the customer writing again and an annotation written by the system (an area incident
    resolved, an import) do not — nobody has answered the customer yet."""
    return note_kind == NoteKind.STAFF


@dataclass(frozen=True)
class Deadlines:
    first_response_due_at: datetime
    warn_at: datetime
    due_at: datetime
    regulatory_deadline_at: datetime | None


def _add(schedule, start: datetime, value: int, unit: str) -> datetime:
    if unit == TimeUnit.DAYS:
        # "Within N working days" ends when the N-th working day ends (the regulation's reading).
        return worktime.add_working_days(schedule, start, value, at_day_end=True)
    return worktime.add_working_minutes(schedule, start, value * 60)


def deadlines(policy: SlaPolicy, received_at: datetime, branch) -> Deadlines:
    schedule = schedule_for_branch(branch)
    due = _add(schedule, received_at, policy.resolution_value, policy.resolution_unit)
    allowed = worktime.working_minutes_between(schedule, received_at, due)
    return Deadlines(
        first_response_due_at=_add(
            schedule, received_at, policy.first_response_value, policy.first_response_unit
        ),
        warn_at=worktime.add_working_minutes(schedule, received_at, int(allowed * WARN_FRACTION)),
        due_at=due,
        regulatory_deadline_at=(
            worktime.add_working_days(
                schedule, received_at, OJK_DAYS_WITHOUT_RESOLUTION, at_day_end=True
            )
            if policy.regulatory
            else None
        ),
    )


def rescheduled(policy: SlaPolicy, case) -> Deadlines:
    """``case``'s deadlines had it been taken under ``policy`` (its category corrected, its
    priority evaluated again): from its receipt, the resolution clock moved on by the working
    time it has waited so far (a wait still going on moves it when it ends, as always)."""
    clocks = deadlines(policy, case.received_at, case.branch)
    if not case.paused_minutes:
        return clocks
    schedule = schedule_for_branch(case.branch)
    return Deadlines(
        first_response_due_at=clocks.first_response_due_at,
        warn_at=worktime.add_working_minutes(schedule, clocks.warn_at, case.paused_minutes),
        due_at=worktime.add_working_minutes(schedule, clocks.due_at, case.paused_minutes),
        regulatory_deadline_at=clocks.regulatory_deadline_at,
    )


def after_pause(
    branch, moment: datetime, paused_from: datetime, paused_until: datetime
) -> datetime:
    """A deadline moved on by exactly the working time the case spent waiting."""
    return worktime.shift_for_pause(schedule_for_branch(branch), moment, paused_from, paused_until)


def paused_working_minutes(branch, paused_from: datetime, paused_until: datetime) -> int:
    return worktime.working_minutes_between(schedule_for_branch(branch), paused_from, paused_until)


def extended(branch, due_at: datetime, days: int) -> datetime:
    return worktime.add_working_days(schedule_for_branch(branch), due_at, days, at_day_end=True)


# --------------------------------------------------------------------------- what a person sees
# One helper for every place a case's SLA is shown (queue, Kasus saya, case page): the state
# (each with an Indonesian label, never colour alone) and the countdown in words. Wall-clock
# time, as a person reads it ("sisa 3 jam 20 menit"); the deadline itself is on the branch's
# working calendar (above). The clock stops at the final response: a resolved or closed case
# says how long it took, never "sisa …".


class SlaState(models.TextChoices):
    ON_TRACK = "ON_TRACK", gettext_lazy("Sesuai jadwal")
    WARNING = "WARNING", gettext_lazy("Mendekati batas")
    BREACHED = "BREACHED", gettext_lazy("Lewat batas")
    PAUSED = "PAUSED", gettext_lazy("Jam berhenti (menunggu nasabah)")
    DONE = "DONE", gettext_lazy("Selesai")


@dataclass(frozen=True)
class SlaView:
    state: str
    label: str
    countdown: str
    due_at: datetime


def duration_text(minutes: int) -> str:
    """Durations in words ("7 hari 3 jam", "3 jam 20 menit", "45 menit"): two units at most,
    never "h"/"j" (read as hours/jam by some and days/hari by others). Whole minutes, rounded
    down; a zero second unit is left out ("2 hari", "3 jam")."""
    minutes = max(0, int(minutes))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        text = ngettext("%(n)d hari", "%(n)d hari", days) % {"n": days}
        if hours:
            text += " " + ngettext("%(n)d jam", "%(n)d jam", hours) % {"n": hours}
        return text
    if hours:
        text = ngettext("%(n)d jam", "%(n)d jam", hours) % {"n": hours}
        if mins:
            text += " " + ngettext("%(n)d menit", "%(n)d menit", mins) % {"n": mins}
        return text
    return ngettext("%(n)d menit", "%(n)d menit", mins) % {"n": mins}


def _minutes(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds() // 60)


def sla_state(case, now: datetime) -> str:
    """DONE once the final response is given (or the case is cancelled), PAUSED while the case
    waits for the customer, BREACHED past the due time (or marked by the sweep), WARNING past
    75 % of the allowed time, else ON_TRACK."""
    if case.status not in OPEN_STATUSES:
        return SlaState.DONE
    if case.paused_at is not None:
        return SlaState.PAUSED
    if case.breached_at is not None or case.sla_due_at <= now:
        return SlaState.BREACHED
    if case.warned_at is not None or case.warn_at <= now:
        return SlaState.WARNING
    return SlaState.ON_TRACK


def countdown(case, now: datetime) -> str:
    """The words next to the deadline: "sisa 7 hari 3 jam", "lewat 2 hari", "berhenti, sisa
    1 hari" while paused; "selesai dalam 3 hari 2 jam" once resolved; nothing for a case closed
    without a resolution time (a cancelled duplicate)."""
    if case.status not in OPEN_STATUSES:
        if case.resolved_at is None:
            return ""
        took = duration_text(_minutes(case.resolved_at, case.received_at))
        return _("selesai dalam %(d)s") % {"d": took}
    if case.paused_at is not None:
        left = duration_text(_minutes(case.sla_due_at, case.paused_at))
        return _("berhenti, sisa %(d)s") % {"d": left}
    if case.sla_due_at <= now:
        return _("lewat %(d)s") % {"d": duration_text(_minutes(now, case.sla_due_at))}
    return _("sisa %(d)s") % {"d": duration_text(_minutes(case.sla_due_at, now))}


def sla_view(case, now: datetime) -> SlaView:
    state = sla_state(case, now)
    return SlaView(state, str(SlaState(state).label), countdown(case, now), case.sla_due_at)
