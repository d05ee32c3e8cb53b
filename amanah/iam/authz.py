"""Deny-by-default authorization: named permissions from the matrix, plus branch scope.

The actor's active role is attached by the middleware (or the API token). Results are cached
on the actor object for the length of one request or job. Together they are the actor's
grants (:func:`grants_of`), from which ``core.scopes`` builds every ``visible_to``. System and
integration actors carry their grants themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from amanah.core import registry
from amanah.core.actors import Grants, IntegrationActor, RowGrant, SystemActor
from amanah.core.errors import NotFound
from amanah.iam.models import RolePermission, ScopeType, UserBranchScope


def _is_live(actor) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def permissions_of(actor) -> frozenset[str]:
    """Permissions of the actor's active role (only while the actor still holds that role),
    plus those a row grant source lends to that role (``RowGrantSource.lends``): the routes
    showing such rows let the actor in, and ``visible_to`` shows the granted rows alone."""
    if isinstance(actor, SystemActor | IntegrationActor):
        return actor.grants.permissions
    held = role_permissions_of(actor)
    lent = [
        source.lends
        for _key, source in registry.row_grant_sources.items()
        if source.lends and source.permission in held
    ]
    return held.union(*lent) if lent else held


def role_permissions_of(actor) -> frozenset[str]:
    """Permissions of the actor's active role alone, from the matrix."""
    if isinstance(actor, SystemActor | IntegrationActor):
        return actor.grants.permissions
    role = getattr(actor, "active_role", None) if _is_live(actor) else None
    if not role:
        return frozenset()
    # getattr, not __dict__: request.user is a lazy wrapper that forwards attributes.
    by_role = getattr(actor, "permissions_by_role", None)  # read with the user per request
    if by_role is not None:
        return by_role.get(role, frozenset())
    cached = getattr(actor, "_perm_cache", None)
    if cached is None or cached[0] != role:
        codes = RolePermission.objects.filter(role_id=role, role__userrole__user=actor).values_list(
            "permission", flat=True
        )
        actor._perm_cache = (role, frozenset(codes))
    return actor._perm_cache[1]


def row_grants_of(actor) -> tuple[RowGrant, ...]:
    """Rows the actor may see beyond its scope right now (``registry.row_grant_sources``),
    asked only of the sources whose permission the active role holds; cached like the rest."""
    if isinstance(actor, SystemActor | IntegrationActor) or not _is_live(actor):
        return ()
    role = getattr(actor, "active_role", None)
    cached = getattr(actor, "_row_grant_cache", None)
    if cached is not None and cached[0] == role:
        return cached[1]
    held = role_permissions_of(actor)
    now = timezone.now()
    rows: list[RowGrant] = []
    for _key, source in registry.row_grant_sources.items():
        if source.permission in held:
            rows += source.grants(actor, now)
    actor._row_grant_cache = (role, tuple(rows))
    return actor._row_grant_cache[1]


def has_perm(actor, permission: str) -> bool:
    return permission in permissions_of(actor)


def require(actor, permission: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied without the permission, NotFound when obj is out of scope."""
    if not has_perm(actor, permission):
        raise PermissionDenied(permission)
    if obj is not None and not in_scope(actor, obj):
        raise NotFound()


def in_scope(actor, obj: models.Model) -> bool:
    return type(obj)._default_manager.visible_to(actor).filter(pk=obj.pk).exists()


@dataclass(frozen=True)
class BranchScope:
    """The branches an actor may see right now: every branch, or a set of branch ids."""

    all_branches: bool
    branch_ids: frozenset

    def allows(self, branch_id) -> bool:
        return self.all_branches or branch_id in self.branch_ids


def _scope_in_force(now) -> Q:
    return (Q(active_from__isnull=True) | Q(active_from__lte=now)) & (
        Q(active_to__isnull=True) | Q(active_to__gt=now)
    )


def branch_scope(actor) -> BranchScope:
    if isinstance(actor, SystemActor | IntegrationActor):
        return BranchScope(actor.grants.all_branches, actor.grants.branch_ids)
    if not _is_live(actor):
        return BranchScope(False, frozenset())
    cached = getattr(actor, "_scope_cache", None)
    if cached is not None:
        return cached
    rows = UserBranchScope.objects.filter(user=actor).filter(_scope_in_force(timezone.now()))
    everything = False
    ids = set()
    for scope_type, branch_id in rows.values_list("scope_type", "branch_id"):
        if scope_type == ScopeType.ALL:
            everything = True
        else:
            ids.add(branch_id)
    actor._scope_cache = BranchScope(everything, frozenset(ids))
    return actor._scope_cache


def users_covering_branch(users: models.QuerySet, branch_id, *, now=None) -> models.QuerySet:
    """The users of ``users`` for whom ``branch_scope(user).allows(branch_id)`` holds, in one
    query instead of one scope query per user: active users with a scope in force at ``now``
    (default: the clock) that is the whole bank or that branch (the set-based form of
    :func:`branch_scope`; a test holds the two to agree). ``now`` given, the statement does
    not read the clock itself, so a prepared read (``core.prepared``) can hold it."""
    covering = UserBranchScope.objects.filter(_scope_in_force(now or timezone.now())).filter(
        Q(scope_type=ScopeType.ALL) | Q(branch_id=branch_id), user=OuterRef("pk")
    )
    return users.filter(is_active=True).filter(Exists(covering))


def grants_of(actor) -> Grants:
    """Permissions, branches and identity in one value (each part cached on the actor)."""
    if isinstance(actor, SystemActor | IntegrationActor):
        return actor.grants
    # A page asks some twenty times (every visible_to): built once per role and liveness.
    key = (getattr(actor, "active_role", None), _is_live(actor))
    cached = getattr(actor, "_grants_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    scope = branch_scope(actor)
    grants = Grants(
        role_permissions_of(actor),
        all_branches=scope.all_branches,
        branch_ids=scope.branch_ids,
        user_id=actor.pk if key[1] else None,
        row_grants=row_grants_of(actor),
    )
    actor._grants_cache = (key, grants)
    return grants


def filter_by_branch_scope(queryset: models.QuerySet, actor, *, field: str) -> models.QuerySet:
    """Keep rows whose ``field`` (a branch FK or the branch pk) lies in the actor's scope."""
    scope = branch_scope(actor)
    if scope.all_branches:
        return queryset
    if not scope.branch_ids:
        return queryset.none()
    return queryset.filter(**{f"{field}__in": scope.branch_ids})


def forget(actor) -> None:
    """Drop cached permissions/scope/row grants (and roles read with the user) after the
    actor's own grants changed."""
    names = ("_perm_cache", "_scope_cache", "_row_grant_cache", "_grants_cache")
    for name in (*names, "held_role_keys", "permissions_by_role"):
        if hasattr(actor, name):
            delattr(actor, name)
    getattr(actor, "_prefetched_objects_cache", {}).pop("user_roles", None)
