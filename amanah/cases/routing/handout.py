"""The hand-out of a new complaint (``choose_assignee``): the first matching rule, locked,
and the member it picks (see the package's docstring for the steps and the lock order)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from amanah.calendars.contract import absent_user_ids
from amanah.cases.models import (
    Case,
    RoutingRule,
    RoutingStrategy,
)
from amanah.cases.policies import CASE_ASSIGN
from amanah.cases.routing.workload import open_case_counts
from amanah.core.actors import declare_actor
from amanah.core.prepared import prepared
from amanah.core.roles import RoleKey as R
from amanah.core.roundrobin import Pool
from amanah.iam import authz
from amanah.iam.models import User

# Not a person: gives a new case to the agent its rule picks, nothing else. The log line and
# the ASSIGN_CASE audit row of an automatic assignment carry this name.
ROUTER = declare_actor("cases-routing", permissions=(CASE_ASSIGN,), all_branches=True)

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
