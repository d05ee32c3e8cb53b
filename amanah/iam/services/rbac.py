"""The permission matrix: default grants and ADMIN's edits."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import profiles
from amanah.core.actors import SystemActor
from amanah.core.errors import ServiceError
from amanah.core.permissions import catalogue, is_declared
from amanah.core.roles import RoleKey
from amanah.iam import authz
from amanah.iam.models import (
    PermissionSeed,
    Role,
    RolePermission,
    User,
)
from amanah.iam.policies import (
    RBAC_MANAGE,
    USER_MANAGE,
)

# --------------------------------------------------------------------------- permission matrix


def rbac_seed_defaults(*, using: str = "default") -> list[str]:
    """Copy the default grants of permissions never seen before into the matrix.

    Runs after every migrate. A permission is seeded once; later ADMIN edits are never undone.
    """
    with transaction.atomic(using=using):
        for key in RoleKey:
            Role.objects.using(using).get_or_create(key=key.value, defaults={"name": key.label})
        seen = set(PermissionSeed.objects.using(using).values_list("permission", flat=True))
        fresh = [perm for code, perm in catalogue().items() if code not in seen]
        if not fresh:
            return []
        profile = profiles.current()
        for perm in fresh:
            for role in profile.default_roles(perm):
                RolePermission.objects.using(using).get_or_create(
                    role_id=role, permission=perm.code
                )
            PermissionSeed.objects.using(using).create(permission=perm.code)
        audit.record(
            actor=SystemActor("system:migrate"),
            action=AuditAction.CHANGE_RBAC,
            object_type="PERMISSION_MATRIX",
            object_id="defaults",
            meta={"seeded": sorted(p.code for p in fresh)},
        )
    return [p.code for p in fresh]


def rbac_profile_grants_apply(*, using: str = "default") -> list[tuple[str, str]]:
    """Add the deployment profile's default grants (``core.profiles``) that the matrix lacks —
    for a database first migrated under another profile (the test database, a bank demo
    switched to pdam). Only adds; audited as a matrix change. Returns the grants added."""
    profile = profiles.current()
    wanted = {
        (role, code)
        for code, roles in profile.grants.items()
        if is_declared(code)
        for role in roles
    }
    with transaction.atomic(using=using):
        held = set(
            RolePermission.objects.using(using)
            .filter(permission__in=[code for _role, code in wanted])
            .values_list("role_id", "permission")
        )
        added = sorted(wanted - held)
        for role, code in added:
            RolePermission.objects.using(using).create(role_id=role, permission=code)
        if added:
            audit.record(
                actor=SystemActor("system:profile"),
                action=AuditAction.CHANGE_RBAC,
                object_type="PERMISSION_MATRIX",
                object_id=f"profile:{profile.key}",
                meta={"added": [f"{role}:{code}" for role, code in added]},
            )
    return added


# Without these grants nobody could ever repair the matrix or the user list again.
PROTECTED_GRANTS = frozenset(
    {(RoleKey.ADMIN.value, RBAC_MANAGE), (RoleKey.ADMIN.value, USER_MANAGE)}
)


@transaction.atomic
def rbac_matrix_save(*, actor: User, grants: set[tuple[str, str]]) -> dict:
    """Replace the matrix with ``grants`` (pairs of role key, permission code); audited."""
    authz.require(actor, RBAC_MANAGE)
    roles = set(RoleKey.values)
    for role, code in grants:
        if role not in roles or not is_declared(code):
            raise ServiceError(
                "unknown_grant", _("Peran atau izin tidak dikenal: %s / %s") % (role, code)
            )
    missing = PROTECTED_GRANTS - grants
    if missing:
        raise ServiceError(
            "protected_grant",
            _("Izin %s tidak boleh dicabut dari ADMIN (tidak ada yang bisa memperbaikinya lagi).")
            % ", ".join(sorted(code for _role, code in missing)),
        )
    current = set(RolePermission.objects.values_list("role_id", "permission"))
    added, removed = grants - current, current - grants
    for role, code in removed:
        RolePermission.objects.filter(role_id=role, permission=code).delete()
    RolePermission.objects.bulk_create(
        [RolePermission(role_id=role, permission=code) for role, code in sorted(added)]
    )
    if added or removed:
        audit.record(
            actor=actor,
            action=AuditAction.CHANGE_RBAC,
            object_type="PERMISSION_MATRIX",
            object_id="matrix",
            meta={
                "granted": [f"{r}:{c}" for r, c in sorted(added)],
                "revoked": [f"{r}:{c}" for r, c in sorted(removed)],
            },
        )
    authz.forget(actor)
    return {"granted": sorted(added), "revoked": sorted(removed)}
