"""Reads that users trigger, always scoped by the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from amanah.iam.models import Branch, RolePermission, User


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
