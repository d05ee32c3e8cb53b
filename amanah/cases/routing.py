"""Routing and automatic assignment of new complaints (seed 003 Modul 8, 16.4; issue 16).

**Rules are data** (``RoutingRule``): category, channel, branch and priority (each may be
"any") → a set of agents (``RoutingMember``, positions 1..N, each with a capacity of open
cases: the rule's ``default_capacity`` unless the member has their own) and a strategy,
round robin or least loaded. The first active rule by ``order`` (then id) that matches the
case wins; with none the case stays unassigned in its branch's queue, as before rules existed.
ADMIN edits them on the routing page (``SLA_MANAGE``: the permission that manages every other
piece of case configuration); each change goes through
``routing_rule_save`` / ``routing_rule_set_active`` and is audited CHANGE_WORKFLOW.

**The hand-out** (``choose_assignee``) runs inside ``case_create``'s transaction, after the
case row is written and before its event and audit rows:

1. the matching rule's row is locked FOR NO KEY UPDATE (own row only), and checked to match
   still (an edit that committed meanwhile wins);
2. who may take the case: members that are active users with the agent role, covering the
   case's branch (``iam.authz.users_covering_branch``, the rule ``case_assign`` applies), not
   away (``calendars.absent_user_ids`` — the published rule the follow-up desk uses for "on
   leave / off day / sick"), and below their capacity of open assigned cases (one GROUP BY);
3. ``core.roundrobin`` picks the position (``Pool.take`` after the cursor, the last served
   included as last resort; or ``Pool.take_least_loaded``), the cursor moves to it.

Working hours are deliberately not a reason to skip an agent here (unlike the desk's new
members): a complaint taken in the evening goes to a present agent, who sees it in "Kasus
saya" the next morning; its SLA clock runs on the branch's working time anyway.

**Lock order** in ``case_create``: the case-number sequence row, then the rule row, then the
audit chain (last, as in every service). Every hand-out of one rule queues on its row, so two
never both fill an agent's last place or take the same turn. A supervisor's manual
``case_assign`` takes the locks of the rules its assignee belongs to (``workloads(lock=True)``,
in id order) before it reads their load, so a hand-out and a manual assignment never both
take an agent's last place unseen; a manual assignment to an agent who is full or away is
refused unless the supervisor confirms it ("tetap tugaskan"), and the confirmation is in the
ASSIGN_CASE audit row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import absent_user_ids
from amanah.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    Channel,
    Priority,
    RoutingMember,
    RoutingRule,
    RoutingStrategy,
)
from amanah.cases.policies import CASE_ASSIGN, SLA_MANAGE
from amanah.core.actors import declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.prepared import prepared
from amanah.core.roles import RoleKey as R
from amanah.core.roundrobin import Pool
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.iam import authz
from amanah.iam.models import Branch, User

# Not a person: gives a new case to the agent its rule picks, nothing else. The log line and
# the ASSIGN_CASE audit row of an automatic assignment carry this name.
ROUTER = declare_actor("cases-routing", permissions=(CASE_ASSIGN,), all_branches=True)

MAX_MEMBERS = 200
MAX_CAPACITY = 1000
MAX_ORDER = 10_000
LOCK_ATTEMPTS = 3  # a rule edited between the search and the lock: look again


@dataclass(frozen=True)
class Choice:
    """The agent a rule gave a new case to."""

    rule_id: int
    strategy: str
    position: int
    user: User


def _matching(*, category, channel, branch, priority) -> Q:
    """The active rules for a case of ``category`` (a code or None), ``channel``, ``branch``
    (an id) and ``priority``: each condition a rule leaves empty matches any case."""
    return (
        Q(active=True)
        & (Q(category__isnull=True) | Q(category_id=category))
        & (Q(channel="") | Q(channel=channel))
        & (Q(branch__isnull=True) | Q(branch_id=branch))
        & (Q(priority="") | Q(priority=priority))
    )


def _case_terms(case: Case) -> dict:
    return {
        "category": case.category_id,
        "channel": case.channel,
        "branch": case.branch_id,
        "priority": case.priority,
    }


@prepared(RoutingRule, params=("category", "channel", "branch", "priority"))
def _first_matching(_actor, **terms):
    """(id, order) of the first matching rule (kept compiled: every new case asks)."""
    return (
        RoutingRule.objects.filter(_matching(**terms))
        .order_by("order", "id")
        .values_list("pk", "order")[:1]
    )


def _locked_rule(case: Case) -> RoutingRule | None:
    """The first matching rule, its row locked; None when no rule matches."""
    terms = _case_terms(case)
    for _attempt in range(LOCK_ATTEMPTS):
        found = _first_matching.first(None, **terms)
        if found is None:
            return None
        # Re-checked under the lock (READ COMMITTED re-reads the row an edit just changed).
        rule_id, order = found
        rule = (
            RoutingRule.objects.select_for_update(of=("self",), no_key=True)
            .filter(_matching(**terms), pk=rule_id, order=order)
            .first()
        )
        if rule is not None:
            return rule
    return None


def _agents_covering(user_ids, branch_id) -> set:
    agents = User.objects.filter(pk__in=user_ids, is_active=True, user_roles__role_id=R.AGENT)
    return set(authz.users_covering_branch(agents, branch_id).values_list("pk", flat=True))


def choose_assignee(case: Case, *, at=None) -> Choice | None:
    """Pick the agent for a new ``case`` by the first matching rule and move the rule's cursor
    (see the module docstring); None: no rule matches, or nobody of its members may take it.
    Must run in the creating transaction (the rule's lock is held until it commits)."""
    at = at or timezone.now()
    rule = _locked_rule(case)
    if rule is None:
        return None
    members = [
        (position, user_id, rule.default_capacity if capacity is None else capacity)
        for position, user_id, capacity in rule.members.values_list(
            "position", "user_id", "capacity"
        )
    ]
    if not members:
        return None
    user_of = {position: user_id for position, user_id, _cap in members}
    user_ids = list(user_of.values())
    covering = _agents_covering(user_ids, case.branch_id)
    away = absent_user_ids(at, user_ids)
    by_user = open_case_counts(user_ids)
    pool = Pool(
        positions=list(user_of),
        available={p for p, u in user_of.items() if u in covering and u not in away},
        capacity={position: capacity for position, _u, capacity in members},
        load={p: by_user.get(u, 0) for p, u in user_of.items()},
    )
    if rule.strategy == RoutingStrategy.LEAST_LOADED:
        position = pool.take_least_loaded(after=rule.last_position)
    else:
        position = pool.take(after=rule.last_position, include_after=True)
    if position is None:
        return None
    rule.last_position = position
    rule.save(update_fields=["last_position"])
    return Choice(rule.pk, rule.strategy, position, User.objects.get(pk=user_of[position]))


# --------------------------------------------------------------------------- configuration


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


@dataclass(frozen=True)
class MemberInput:
    user_id: object
    capacity: int | None = None  # None: the rule's default capacity


@dataclass(frozen=True)
class RuleInput:
    name: str
    order: int = 100
    category_code: str = ""  # "" = any
    channel: str = ""
    branch_code: str = ""
    priority: str = ""
    strategy: str = RoutingStrategy.ROUND_ROBIN
    active: bool = True
    default_capacity: int = 20
    members: tuple[MemberInput, ...] = ()  # in round-robin order: positions 1..N


def _checked(data: RuleInput) -> dict:
    """The rule's fields from ``data``, or a ServiceError naming the field."""
    name = (data.name or "").strip() if isinstance(data.name, str) else ""
    if not name or len(name) > 80 or problem_in_text(name):
        raise ServiceError(
            "name_invalid", _("Nama aturan wajib diisi (maks. 80 karakter)."), field="name"
        )
    if not isinstance(data.order, int) or isinstance(data.order, bool):
        raise ServiceError("order_invalid", _("Urutan 1–10000."), field="order")
    if not 1 <= data.order <= MAX_ORDER:
        raise ServiceError("order_invalid", _("Urutan 1–10000."), field="order")
    category = None
    if data.category_code:
        category = CaseCategory.objects.filter(code=str(data.category_code)).first()
        if category is None:
            raise ServiceError("category_unknown", _("Kategori tidak dikenal."), field="category")
    if data.channel and data.channel not in Channel.values:
        raise ServiceError("channel_unknown", _("Kanal tidak dikenal."), field="channel")
    branch = None
    if data.branch_code:
        branch = Branch.objects.filter(code=str(data.branch_code), is_active=True).first()
        if branch is None:
            raise ServiceError("branch_unknown", _("Cabang tidak dikenal."), field="branch")
    if data.priority and data.priority not in Priority.values:
        raise ServiceError("priority_unknown", _("Prioritas tidak dikenal."), field="priority")
    if data.strategy not in RoutingStrategy.values:
        raise ServiceError("strategy_unknown", _("Pilih cara pembagian."), field="strategy")
    if not _capacity_ok(data.default_capacity):
        raise ServiceError("capacity_invalid", _("Kapasitas 1–1000."), field="capacity")
    return {
        "name": name,
        "order": data.order,
        "category": category,
        "channel": data.channel or "",
        "branch": branch,
        "priority": data.priority or "",
        "strategy": data.strategy,
        "active": bool(data.active),
        "default_capacity": data.default_capacity,
    }


def _capacity_ok(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CAPACITY


def _checked_members(members, branch: Branch | None) -> list[tuple[User, int | None]]:
    """The members in order, each an active agent (of the rule's branch when it names one),
    each once, each with a capacity 1–1000 or none (the rule's default); at least one."""
    members = list(members or ())
    if not members:
        raise ServiceError(
            "members_required", _("Pilih minimal satu agen penerima."), field="members"
        )
    if len(members) > MAX_MEMBERS:
        raise ServiceError(
            "too_many_members", _("Paling banyak 200 agen per aturan."), field="members"
        )
    ids = []
    for member in members:
        if member.capacity is not None and not _capacity_ok(member.capacity):
            raise ServiceError("capacity_invalid", _("Kapasitas 1–1000."), field="capacity")
        ids.append(str(member.user_id))
    if len(set(ids)) != len(ids):
        raise ServiceError(
            "member_twice", _("Seorang agen hanya sekali dalam aturan."), field="members"
        )
    agents = User.objects.filter(is_active=True, user_roles__role_id=R.AGENT)
    if branch is not None:
        agents = authz.users_covering_branch(agents, branch.pk)
    try:
        found = {str(u.pk): u for u in agents.filter(pk__in=ids)}
    except (ValueError, TypeError, ValidationError) as error:  # not a user id at all
        raise ServiceError("member_invalid", _("Agen tidak dikenal."), field="members") from error
    if len(found) != len(ids):
        raise ServiceError(
            "member_invalid",
            _("Setiap penerima harus agen aktif di cabang aturan."),
            field="members",
        )
    return [(found[i], m.capacity) for i, m in zip(ids, members, strict=True)]


@transaction.atomic
def routing_rule_save(*, actor, data: RuleInput, rule_id: int | None = None) -> RoutingRule:
    """Create a routing rule, or change one (``rule_id``); CHANGE_WORKFLOW. The members are
    written anew in the order given (positions 1..N); the cursor stays with the member it
    pointed at when that member remains, else it starts again from the first."""
    authz.require(actor, SLA_MANAGE)
    fields = _checked(data)
    members = _checked_members(data.members, fields["branch"])
    now = timezone.now()
    if rule_id is None:
        rule = RoutingRule.objects.create(**fields, created_at=now, updated_at=now)
        cursor_user = None
    else:
        rule = (
            RoutingRule.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk=rule_id)
            .first()
        )
        if rule is None:
            raise NotFound()
        cursor_user = (
            rule.members.filter(position=rule.last_position).values_list("user_id", flat=True)
        ).first()
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.updated_at = now
        rule.members.all().delete()
    RoutingMember.objects.bulk_create(
        RoutingMember(rule=rule, user=user, position=n, capacity=capacity)
        for n, (user, capacity) in enumerate(members, start=1)
    )
    rule.last_position = next(
        (n for n, (user, _c) in enumerate(members, start=1) if user.pk == cursor_user), 0
    )
    rule.save()
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=rule,
        meta={
            "routing_rule": rule.pk,
            "created": rule_id is None,
            "order": rule.order,
            "category": rule.category_id or "",
            "channel": rule.channel,
            "branch": rule.branch.code if rule.branch else "",
            "priority": rule.priority,
            "strategy": rule.strategy,
            "members": len(members),
            "default_capacity": rule.default_capacity,
            # Who has their own capacity (usernames, not names): the change is traceable.
            "capacities": {u.username: c for u, c in members if c is not None},
            "active": rule.active,
        },
    )
    return rule


@transaction.atomic
def routing_rule_set_active(*, actor, rule_id: int, active: bool) -> RoutingRule:
    """Switch a rule off (or on again); CHANGE_WORKFLOW. Rules are never deleted."""
    authz.require(actor, SLA_MANAGE)
    rule = (
        RoutingRule.objects.select_for_update(of=("self",), no_key=True).filter(pk=rule_id).first()
    )
    if rule is None:
        raise NotFound()
    if rule.active == active:
        return rule
    rule.active = active
    rule.updated_at = timezone.now()
    rule.save(update_fields=["active", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=rule,
        meta={"routing_rule": rule.pk, "active": active},
    )
    return rule


def routing_rule_list(*, actor) -> list[RoutingRule]:
    """Every rule in matching order, with its members (the routing page)."""
    authz.require(actor, SLA_MANAGE)
    return list(
        RoutingRule.objects.select_related("category", "branch").prefetch_related(
            Prefetch("members", RoutingMember.objects.select_related("user", "rule"))
        )
    )


def routing_rule_get(*, actor, rule_id: int) -> RoutingRule:
    authz.require(actor, SLA_MANAGE)
    rule = (
        RoutingRule.objects.filter(pk=rule_id)
        .prefetch_related(Prefetch("members", RoutingMember.objects.select_related("user", "rule")))
        .first()
    )
    if rule is None:
        raise NotFound()
    return rule


def routing_candidates(*, actor) -> list[User]:
    """Who may be a member: active users with the agent role (the page's choices)."""
    authz.require(actor, SLA_MANAGE)
    return list(
        User.objects.filter(is_active=True, user_roles__role_id=R.AGENT)
        .select_related("home_branch")
        .distinct()
        .order_by("full_name", "username")[:1000]
    )
