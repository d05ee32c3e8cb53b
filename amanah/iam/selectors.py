"""Reads that users trigger, always scoped by the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from amanah.iam.models import (
    Branch,
    RolePermission,
    ScopeType,
    User,
    UserBranchScope,
    UserRole,
)


def user_list(*, actor: User, search: str = "") -> QuerySet[User]:
    users = (
        User.objects.visible_to(actor).select_related("home_branch").prefetch_related("user_roles")
    )
    search = search.strip()
    if search:
        users = users.filter(Q(username__icontains=search) | Q(full_name__icontains=search))
    return users[:200]


def branch_team(*, actor: User, branch: Branch) -> QuerySet[User]:
    """Staff whose home is ``branch``; the caller already holds ``branch`` in scope."""
    return (
        User.objects.filter(home_branch=branch, is_active=True)
        .prefetch_related("user_roles")
        .order_by("full_name")
    )


def matrix() -> set[tuple[str, str]]:
    return set(RolePermission.objects.values_list("role_id", "permission"))


def holders_of(permission: str, *, branch_ids=(), now=None) -> QuerySet[User]:
    """Active staff who hold ``permission`` through one of their roles and whose live branch
    scope covers every branch of ``branch_ids`` (the whole bank when their scope is ALL).
    Who should hear that something awaits a decision; not scoped by an actor (system use)."""
    now = now or timezone.now()
    users = User.objects.filter(
        is_active=True,
        pk__in=UserRole.objects.filter(role__grants__permission=permission).values("user_id"),
    )
    live = (
        Q(active_from__isnull=True) | Q(active_from__lte=now),
        Q(active_to__isnull=True) | Q(active_to__gt=now),
    )
    everywhere = UserBranchScope.objects.filter(*live, scope_type=ScopeType.ALL).values("user_id")
    for branch_id in {b for b in branch_ids if b is not None}:
        covering = UserBranchScope.objects.filter(*live, branch_id=branch_id).values("user_id")
        users = users.filter(Q(pk__in=everywhere) | Q(pk__in=covering))
    return users
