"""Who is how busy: open assigned cases, capacities from the rules, away today; the
reason an agent cannot take more and the handlers offered with their load."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.calendars.contract import absent_user_ids
from amanah.cases.models import (
    OPEN_STATUSES,
    Case,
    RoutingMember,
    RoutingRule,
)
from amanah.core.prepared import prepared
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.iam.models import User


@dataclass(frozen=True)
class Workload:
    """An agent's open assigned cases against their routing capacity, and whether they are
    away now (calendars) — what a supervisor sees before assigning by hand."""

    open_cases: int
    capacity: int | None  # the lowest of their active rules' capacities; None: in no rule
    away: bool

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.open_cases >= self.capacity


def open_case_counts(user_ids) -> dict:
    """{user id: open cases assigned to them} (users with none are left out). ``COUNT(*)``, not
    ``COUNT(id)``: the ``case_assignee`` index holds both columns the filter reads, so the count
    is an index-only scan (an agent holding thousands of open cases read from the table was
    8 ms a call at 1M cases, the heaviest statement of the load's queue and case pages)."""
    return dict(_open_cases_of(None, user_ids=id_text(user_ids)))


@prepared(Case, params=("user_ids",))
def _open_cases_of(_actor, *, user_ids):
    # The ids one parameter (``core.sqlparams``): one kept statement whatever their number.
    return (
        Case.objects.filter(assigned_to_id__in=uuid_rows(user_ids), status__in=OPEN_STATUSES)
        .values_list("assigned_to_id")
        .annotate(n=Count("*"))
        .values_list("assigned_to_id", "n")
    )


def workloads(user_ids, *, at=None, lock: bool = False) -> dict:
    """{user id: Workload} for ``user_ids``. An agent in several active rules has the lowest
    of their capacities there (the strictest limit anyone set for them). ``lock``: the rules
    the agents belong to are locked first (FOR NO KEY UPDATE, in id order), so the loads read
    stay true until the caller's transaction commits (see the module docstring)."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return {}
    at = at or timezone.now()
    if lock:
        memberships = RoutingMember.objects.filter(user_id__in=user_ids, rule__active=True)
        list(
            RoutingRule.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=memberships.values("rule_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    capacity: dict = {}
    for user_id, own, default in _capacities(None, user_ids=id_text(user_ids)):
        value = default if own is None else own
        capacity[user_id] = min(value, capacity.get(user_id, value))
    load = open_case_counts(user_ids)
    away = absent_user_ids(at, user_ids)
    return {u: Workload(load.get(u, 0), capacity.get(u), u in away) for u in user_ids}


@prepared(RoutingMember, params=("user_ids",))
def _capacities(_actor, *, user_ids):
    """(user id, own capacity, the rule's default) of each active membership of ``user_ids``."""
    return RoutingMember.objects.filter(
        user_id__in=uuid_rows(user_ids), rule__active=True
    ).values_list("user_id", "capacity", "rule__default_capacity")


def busy_reason(user, load: Workload) -> str:
    """Why assigning ``user`` needs a confirmation ("" when it does not)."""
    if load.away:
        return _("%s sedang cuti/absen.") % user.full_name
    if load.full:
        return _("%(name)s sudah penuh (%(n)d dari %(cap)d kasus terbuka).") % {
            "name": user.full_name,
            "n": load.open_cases,
            "cap": load.capacity,
        }
    return ""


@dataclass(frozen=True)
class HandlerOption:
    """A person an assign dialog offers, with their load: the label says full or away."""

    user: User
    load: Workload

    @property
    def pk(self):
        return self.user.pk

    @property
    def busy(self) -> bool:
        return self.load.away or self.load.full

    @property
    def label(self) -> str:
        name = self.user.full_name
        if self.load.away:
            return _("%s — cuti/absen") % name
        if self.load.capacity is None:
            return _("%(name)s — %(n)d kasus terbuka") % {"name": name, "n": self.load.open_cases}
        if self.load.full:
            return _("%(name)s — penuh (%(n)d/%(cap)d)") % {
                "name": name,
                "n": self.load.open_cases,
                "cap": self.load.capacity,
            }
        return _("%(name)s — %(n)d/%(cap)d kasus") % {
            "name": name,
            "n": self.load.open_cases,
            "cap": self.load.capacity,
        }


def handler_options(users) -> list[HandlerOption]:
    """``users`` with their loads (one query each for capacities, loads and absences)."""
    users = list(users)
    loads = workloads([u.pk for u in users])
    return [HandlerOption(u, loads[u.pk]) for u in users]
