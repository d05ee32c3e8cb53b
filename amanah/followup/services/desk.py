"""The desk's agents: putting staff on the desk, their order 1..N, their capacity. Keyword-only,
actor first; permission, validation, write, event, audit — in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.followup import sql
from amanah.followup.assign import Hand
from amanah.followup.models import DeskAgent
from amanah.followup.policies import DESK_MANAGE
from amanah.iam import authz
from amanah.iam.models import User

AGENT_ADDED = "followup.agent_added"  # fn(*, actor, agent)
ORDER_SET = "followup.order_set"  # fn(*, actor, desk)
AGENT_CAPACITY_SET = "followup.agent_capacity_set"  # fn(*, actor, agent)
MAX_CAPACITY = 10_000


def _check_capacity(capacity) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        try:
            capacity = int(str(capacity))
        except (TypeError, ValueError):
            capacity = -1
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ServiceError(
            "capacity_invalid",
            _("Kapasitas harus bilangan bulat 0 sampai %(max)s.") % {"max": MAX_CAPACITY},
            field="capacity",
        )
    return capacity


def _desk_audit(actor, obj, change: str, **meta) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_FOLLOWUP_DESK,
        obj=obj,
        meta={"change": change, **meta},
    )


@transaction.atomic
def desk_agent_add(*, actor, user: User, capacity: int = 200) -> DeskAgent:
    """Put a member of staff on the desk as agent N+1."""
    authz.require(actor, DESK_MANAGE)
    capacity = _check_capacity(capacity)
    if not User.objects.filter(pk=user.pk, is_active=True).exists():
        raise NotFound()
    Hand.lock_desk()
    if DeskAgent.objects.filter(user_id=user.pk).exists():
        raise ServiceError("agent_exists", _("Staf ini sudah menjadi agen meja tindak lanjut."))
    position = DeskAgent.objects.count() + 1
    agent = DeskAgent.objects.create(user=user, position=position, capacity=capacity)
    events.emit(AGENT_ADDED, actor=actor, agent=agent)
    _desk_audit(actor, agent, "agent_add", position=position, capacity=capacity)
    return agent


@transaction.atomic
def desk_order_set(*, actor, order: dict) -> None:
    """A whole new order: ``{agent_id: position}`` naming every agent once, positions 1..N.
    An order with gaps, duplicates, unknown or missing agents is refused. The positions the
    desk keeps (its cursor, each open member's last agent) are remapped in the same
    transaction, so they still name the same agents and the rotation goes on from them.
    The order is checked here for a clear refusal, and again by the database, which writes
    it."""
    authz.require(actor, DESK_MANAGE)
    # Lock order (``Hand.lock_desk``): the desk, the agents (renumbering key-locks them), then
    # the members remapped.
    desk = Hand.lock_desk()
    agents = {str(a.pk): a for a in DeskAgent.objects.select_for_update(of=("self",), no_key=True)}
    try:
        wanted = {str(k): int(v) for k, v in dict(order).items()}
    except (TypeError, ValueError):
        wanted = None
    if wanted is None or set(wanted) != set(agents):
        raise ServiceError(
            "order_agents", _("Urutan harus memuat setiap agen tepat satu kali."), field="order"
        )
    if sorted(wanted.values()) != list(range(1, len(agents) + 1)):
        raise ServiceError(
            "order_gaps",
            _("Nomor urut harus 1 sampai %(n)s tanpa celah dan tanpa ganda.") % {"n": len(agents)},
            field="order",
        )
    moved = sum(1 for key, agent in agents.items() if agent.position != wanted[key])
    # The database writes the order and remaps the positions the desk keeps (its cursor, each
    # open member's last agent), so they still name the same agents and the rotation goes on
    # from them (``followup_desk_order_set``: nobody renumbers an agent alone).
    remapped = (
        sql.order_set({agent.pk: wanted[key] for key, agent in agents.items()}) if moved else 0
    )
    events.emit(ORDER_SET, actor=actor, desk=desk)
    _desk_audit(
        actor,
        None,
        "order_set",
        object_type="followup.Desk",
        positions=len(agents),
        moved=moved,
        members_remapped=remapped,
    )


@transaction.atomic
def desk_agent_capacity_set(*, actor, agent: DeskAgent, capacity) -> DeskAgent:
    """Below the current load is allowed: the agent gets no new member until below it."""
    authz.require(actor, DESK_MANAGE)
    capacity = _check_capacity(capacity)
    # Lock order (``Hand.lock_desk``): the desk (hand-outs read capacities under it), then
    # the agent, no key (logs, deposits and rotations point at it).
    Hand.lock_desk()
    agent = (
        DeskAgent.objects.select_for_update(of=("self",), no_key=True).filter(pk=agent.pk).first()
    )
    if agent is None:
        raise NotFound()
    old, agent.capacity = agent.capacity, capacity
    agent.save(update_fields=["capacity"])
    events.emit(AGENT_CAPACITY_SET, actor=actor, agent=agent)
    _desk_audit(actor, agent, "capacity_set", old=old, new=capacity)
    return agent
