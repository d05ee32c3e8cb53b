"""Work orders from arrears, set-based (issue 19): one ``INSERT … SELECT`` per source, and
the assignment of new work orders to the agents of their branch (fewest open first).

Why one statement: 300,000 customers in arrears become 300,000 work orders in seconds, not
300,000 round trips. Why no duplicates: a customer with an open work order is skipped by the
``NOT EXISTS`` and, against a concurrent run, by the partial unique index
``fieldops_wo_one_open_per_customer`` (``ON CONFLICT DO NOTHING``) — so a second run, or two
at once, make nothing twice. The best known location is the field-confirmed one
(``KnownLocation``, an accepted coordinate correction) before the source's own.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.money import service_amount
from amanah.core.scopes import grants_of
from amanah.customers.addresses import ADDRESS_INCOMPLETE_SQL
from amanah.fieldops.models import OPEN_STATUSES, WorkOrder, WoStatus
from amanah.fieldops.policies import WO_MANAGE, WO_TEAM, WO_VIEW, WO_WORK
from amanah.fieldops.sources import arrears_sources
from amanah.iam import authz

WORK_ORDERS_GENERATED = "fieldops.work_orders_generated"  # (actor, source, created)
WORK_ORDERS_ASSIGNED = "fieldops.work_orders_assigned"  # (actor, assigned)
WORKFLOW = "fieldops.work_order"
MAX_DAYS = 36_500
MAX_AMOUNT = Decimal("1e15")
# The daily job's actor: generates and assigns in every branch, nothing else.
GENERATOR = declare_actor(
    "fieldops-generator", permissions=(WO_VIEW, WO_TEAM, WO_MANAGE), all_branches=True
)


@dataclass(frozen=True)
class Rule:
    min_days: int
    min_amount: Decimal
    segment: str = ""


def rule_clean(min_days, min_amount, segment="") -> Rule:
    """The rule from user or setting input; refuses what is not a rule (never a 500)."""
    try:
        days = int(min_days)
    except (TypeError, ValueError):
        days = -1
    if not 1 <= days <= MAX_DAYS:
        raise ServiceError(
            "rule_days_invalid",
            _("Hari tunggakan minimal harus 1 s.d. %d.") % MAX_DAYS,
            field="min_days",
        )
    amount = service_amount(
        min_amount,
        low=0,
        high=MAX_AMOUNT,
        sen=True,
        refuse=lambda: ServiceError(
            "rule_amount_invalid",
            _("Tunggakan minimal harus angka rupiah, tidak negatif."),
            field="min_amount",
        ),
    )
    segment = (segment or "").strip().upper()
    if len(segment) > 20 or problem_in_text(segment):
        raise ServiceError("rule_segment_invalid", _("Kode segmen tidak valid."), field="segment")
    return Rule(days, amount, segment)


_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)
_GENERATE = f"""
INSERT INTO fieldops_workorder (
    customer_id, branch_id, status, origin, source, account_ref, days_past_due, outstanding,
    billing, last_payment_on, latitude, longitude, location_source, address,
    address_incomplete, note, last_outcome, cancel_reason, created_at)
SELECT s.customer_id, s.branch_id, 'NEW', 'RULE', %s, left(coalesce(s.account_ref, ''), 60),
    s.days_past_due, s.outstanding, coalesce(s.billing, '{{{{}}}}'::jsonb), s.last_payment_on,
    coalesce(k.latitude, s.latitude), coalesce(k.longitude, s.longitude),
    CASE WHEN k.customer_id IS NOT NULL THEN 'FIELD'
         WHEN s.latitude IS NULL THEN 'NONE' ELSE s.location_source END,
    left(coalesce(s.address, ''), 300), {ADDRESS_INCOMPLETE_SQL.format(col="s.address")},
    '', '', '', %s
FROM ({{source}}) s
LEFT JOIN fieldops_knownlocation k ON k.customer_id = s.customer_id
WHERE s.days_past_due >= %s AND s.outstanding >= %s {{segment}} {{branches}}
  AND NOT EXISTS (
      SELECT 1 FROM fieldops_workorder w
      WHERE w.customer_id = s.customer_id AND w.status IN ({_OPEN}))
ON CONFLICT DO NOTHING
"""  # noqa: S608 (our tables; the source SQL is declared in code; values are parameters)


def _branch_filter(actor) -> tuple[str, list]:
    grants = grants_of(actor)
    if grants.all_branches:
        return "", []
    return "AND s.branch_id = ANY(%s)", [list(grants.branch_ids)]


@transaction.atomic
def work_orders_generate(*, actor, source: str, rule: Rule) -> int:
    """Work orders for every customer of ``source`` matching ``rule`` in the actor's branches
    and without an open work order; returns how many were made. Idempotent."""
    authz.require(actor, WO_MANAGE)
    if source not in arrears_sources:
        raise ServiceError("source_unknown", _("Sumber tunggakan tidak dikenal."), field="source")
    select_sql, select_params = arrears_sources.get(source).select()
    branches, branch_params = _branch_filter(actor)
    segment, segment_params = ("AND s.segment = %s", [rule.segment]) if rule.segment else ("", [])
    sql = _GENERATE.format(source=select_sql, segment=segment, branches=branches)
    params = [
        source,
        timezone.now(),
        *select_params,
        rule.min_days,
        rule.min_amount,
        *segment_params,
        *branch_params,
    ]
    with connection.cursor() as cursor:
        # the source groups and sorts a few hundred thousand rows: in memory, not on disk
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(sql, params)
        created = max(cursor.rowcount, 0)
    events.emit(WORK_ORDERS_GENERATED, actor=actor, source=source, created=created)
    audit.record(
        actor=actor,
        action=AuditAction.GENERATE_WORK_ORDERS,
        object_type="WORK_ORDER",
        object_id=source,
        meta={
            "source": source,
            "min_days": rule.min_days,
            "min_amount": str(rule.min_amount),
            "segment": rule.segment,
            "created": created,
        },
    )
    return created


def work_orders_generate_all(*, actor, rule: Rule) -> dict[str, int]:
    """Every declared source with one rule (the job)."""
    return {
        key: work_orders_generate(actor=actor, source=key, rule=rule)
        for key, _s in arrears_sources.items()
    }


# --------------------------------------------------------------------------- assignment


def territory_agents(branch_id) -> list:
    """The branch's field agents: active staff at home there holding ``fieldops.wo.work``."""
    from amanah.iam.contract import holders_of

    return list(holders_of(WO_WORK, branch_ids=[branch_id]).filter(home_branch_id=branch_id))


def _balance(loads: dict, new_ids: list) -> list[tuple[int, object]]:
    """Give each new work order to the agent with the fewest open ones (ties: the lowest id,
    so the outcome is the same on every run)."""
    heap = [(load, str(agent), agent) for agent, load in loads.items()]
    heapq.heapify(heap)
    pairs = []
    for wo_id in new_ids:
        load, key, agent = heapq.heappop(heap)
        pairs.append((wo_id, agent))
        heapq.heappush(heap, (load + 1, key, agent))
    return pairs


@transaction.atomic
def work_orders_assign(*, actor, branch_id=None) -> int:
    """Assign the NEW, unassigned work orders of the actor's branches (or one branch) to the
    branch's agents, fewest open first; NEW → ASSIGNED with a history line for each, one audit
    row per batch with counts. Branches without an agent keep their work orders NEW."""
    from amanah.workflow.contract import history_record_many

    authz.require(actor, WO_MANAGE)
    pending = WorkOrder.objects.visible_to(actor).filter(status=WoStatus.NEW, agent__isnull=True)
    if branch_id is not None:
        pending = pending.filter(branch_id=branch_id)
    branches = sorted(set(pending.values_list("branch_id", flat=True)), key=str)
    assigned = 0
    now = timezone.now()
    for branch in branches:
        agents = territory_agents(branch)
        if not agents:
            continue
        loads = {a.pk: 0 for a in agents}
        open_counts = (
            WorkOrder.objects.filter(agent_id__in=list(loads), status__in=OPEN_STATUSES)
            .values_list("agent_id")
            .order_by()
        )
        from django.db.models import Count

        for agent_id, n in open_counts.annotate(n=Count("id")).values_list("agent_id", "n"):
            loads[agent_id] = n
        ids = list(
            pending.filter(branch_id=branch)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("-days_past_due", "-outstanding", "id")
            .values_list("id", flat=True)
        )
        pairs = _balance(loads, ids)
        if not pairs:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE fieldops_workorder w SET agent_id = p.agent, status = 'ASSIGNED', "
                "assigned_at = %s FROM unnest(%s::bigint[], %s::uuid[]) AS p(id, agent) "
                "WHERE w.id = p.id AND w.status = 'NEW' AND w.agent_id IS NULL",
                [now, [p[0] for p in pairs], [p[1] for p in pairs]],
            )
        history_record_many(
            actor=actor,
            workflow_key=WORKFLOW,
            from_status=WoStatus.NEW,
            to_status=WoStatus.ASSIGNED,
            object_ids=[p[0] for p in pairs],
            at=now,
        )
        assigned += len(pairs)
    events.emit(WORK_ORDERS_ASSIGNED, actor=actor, assigned=assigned)
    audit.record(
        actor=actor,
        action=AuditAction.ASSIGN_WORK_ORDERS,
        object_type="WORK_ORDER",
        object_id=str(branch_id or "scope"),
        meta={"assigned": assigned, "branches": len(branches)},
    )
    return assigned
