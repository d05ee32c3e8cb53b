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

from amanah.cases.routing.handout import LOCK_ATTEMPTS, ROUTER, Choice, choose_assignee
from amanah.cases.routing.rules import (
    MAX_CAPACITY,
    MAX_MEMBERS,
    MAX_ORDER,
    MemberInput,
    RuleInput,
    routing_candidates,
    routing_rule_get,
    routing_rule_list,
    routing_rule_save,
    routing_rule_set_active,
)
from amanah.cases.routing.workload import (
    HandlerOption,
    Workload,
    busy_reason,
    handler_options,
    open_case_counts,
    workloads,
)

__all__ = [
    "LOCK_ATTEMPTS",
    "MAX_CAPACITY",
    "MAX_MEMBERS",
    "MAX_ORDER",
    "ROUTER",
    "Choice",
    "HandlerOption",
    "MemberInput",
    "RuleInput",
    "Workload",
    "busy_reason",
    "choose_assignee",
    "handler_options",
    "open_case_counts",
    "routing_candidates",
    "routing_rule_get",
    "routing_rule_list",
    "routing_rule_save",
    "routing_rule_set_active",
    "workloads",
]
