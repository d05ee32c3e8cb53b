"""The routing rules as ADMIN edits them (``SLA_MANAGE``): checked input, save, switch on
or off (audited CHANGE_WORKFLOW), the list, one rule and the candidates for its members."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import (
    CaseCategory,
    Channel,
    Priority,
    RoutingMember,
    RoutingRule,
    RoutingStrategy,
)
from amanah.cases.policies import SLA_MANAGE
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.roles import RoleKey as R
from amanah.iam import authz
from amanah.iam.models import Branch, User

MAX_MEMBERS = 200
MAX_CAPACITY = 1000
MAX_ORDER = 10_000


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
