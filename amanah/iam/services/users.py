"""User accounts: create, update, disable, enable, password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey
from amanah.iam import authz
from amanah.iam.models import (
    ApiToken,
    Branch,
    ScopeType,
    User,
    UserBranchScope,
    UserRole,
)
from amanah.iam.policies import (
    USER_MANAGE,
)

# --------------------------------------------------------------------------- users


@dataclass(frozen=True)
class ScopeInput:
    branch: Branch | None  # None means the whole bank (ALL)
    active_from: datetime | None = None
    active_to: datetime | None = None


def _validate_user_fields(*, username: str, full_name: str, email: str) -> None:
    if (
        not username
        or len(username) > 150
        or not username.replace(".", "").replace("_", "").isalnum()
    ):
        raise ServiceError(
            "username_invalid",
            _("Nama pengguna hanya huruf, angka, titik atau garis bawah."),
            field="username",
        )
    if not full_name.strip():
        raise ServiceError("full_name_required", _("Nama lengkap wajib diisi."), field="full_name")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ServiceError(
                "email_invalid", _("Alamat email tidak valid."), field="email"
            ) from exc


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("password_weak", " ".join(exc.messages), field="password") from exc


def _set_roles(user: User, roles: list[str], assigned_by: User | None) -> None:
    unknown = set(roles) - set(RoleKey.values)
    if unknown or not roles:
        raise ServiceError(
            "roles_invalid", _("Pilih minimal satu peran yang dikenal."), field="roles"
        )
    UserRole.objects.filter(user=user).exclude(role_id__in=roles).delete()
    held = set(UserRole.objects.filter(user=user).values_list("role_id", flat=True))
    UserRole.objects.bulk_create(
        [UserRole(user=user, role_id=r, assigned_by=assigned_by) for r in roles if r not in held]
    )
    authz.forget(user)  # roles read earlier with this user (e.g. prefetched) are stale now


def _set_scopes(user: User, scopes: list[ScopeInput]) -> None:
    for scope in scopes:
        if scope.active_from and scope.active_to and scope.active_to <= scope.active_from:
            raise ServiceError(
                "scope_window_invalid", _("Akhir masa scope harus setelah awalnya."), field="scopes"
            )
    UserBranchScope.objects.filter(user=user).delete()
    UserBranchScope.objects.bulk_create(
        [
            UserBranchScope(
                user=user,
                branch=s.branch,
                scope_type=ScopeType.BRANCH if s.branch else ScopeType.ALL,
                active_from=s.active_from,
                active_to=s.active_to,
            )
            for s in {(s.branch, s.active_from, s.active_to): s for s in scopes}.values()
        ]
    )


def _scope_summary(user: User) -> list[str]:
    return sorted(
        f"{s.scope_type}:{s.branch.code if s.branch else '*'}"
        for s in user.branch_scopes.select_related("branch")
    )


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    scopes: list[ScopeInput],
    home_branch: Branch | None = None,
    email: str = "",
) -> User:
    authz.require(actor, USER_MANAGE)
    username = username.strip().lower()
    _validate_user_fields(username=username, full_name=full_name, email=email)
    if User.objects.filter(username=username).exists():
        raise ServiceError("username_taken", _("Nama pengguna sudah dipakai."), field="username")
    user = User(
        username=username, full_name=full_name.strip(), email=email.strip(), home_branch=home_branch
    )
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    _set_roles(user, roles, actor if isinstance(actor, User) else None)
    _set_scopes(user, scopes)
    if not authz.in_scope(actor, user):
        raise ServiceError(
            "out_of_scope", _("Cabang utama di luar scope Anda."), field="home_branch"
        )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_USER,
        obj=user,
        meta={"roles": sorted(roles), "scopes": _scope_summary(user)},
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    full_name: str,
    email: str | None,
    home_branch: Branch | None,
    roles: list[str],
    scopes: list[ScopeInput],
) -> User:
    """Change a user's profile, roles and scope; ``email=None`` keeps the current address."""
    authz.require(actor, USER_MANAGE, user)
    email = user.email if email is None else email
    _validate_user_fields(username=user.username, full_name=full_name, email=email)
    if user.pk == actor.pk and RoleKey.ADMIN in user.role_keys() and RoleKey.ADMIN not in roles:
        raise ServiceError(
            "self_lockout", _("Anda tidak dapat mencabut peran ADMIN Anda sendiri."), field="roles"
        )
    before = {"roles": user.role_keys(), "scopes": _scope_summary(user)}
    user.full_name, user.email, user.home_branch = full_name.strip(), email.strip(), home_branch
    user.save(update_fields=["full_name", "email", "home_branch"])
    _set_roles(user, roles, actor if isinstance(actor, User) else None)
    _set_scopes(user, scopes)
    if not authz.in_scope(actor, user):
        raise ServiceError(
            "out_of_scope", _("Cabang utama di luar scope Anda."), field="home_branch"
        )
    after = {"roles": user.role_keys(), "scopes": _scope_summary(user)}
    # A change of roles or scope ends the user's sessions, so new limits apply at once.
    if before != after:
        user.session_version += 1
        user.save(update_fields=["session_version"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_USER,
        obj=user,
        meta={"before": before, "after": after, "profile_changed": True},
    )
    return user


@transaction.atomic
def user_disable(*, actor: User, user: User, reason: str) -> User:
    """Disable a user and end every session and API token of theirs immediately."""
    authz.require(actor, USER_MANAGE, user)
    if user.pk == actor.pk:
        raise ServiceError("self_disable", _("Anda tidak dapat menonaktifkan akun sendiri."))
    if not reason.strip():
        raise ServiceError("reason_required", _("Alasan wajib diisi."), field="reason")
    user.is_active = False
    user.session_version += 1
    user.save(update_fields=["is_active", "session_version"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(
        actor=actor,
        action=AuditAction.DISABLE_USER,
        obj=user,
        meta={"reason": reason.strip()[:200]},
    )
    return user


@transaction.atomic
def user_enable(*, actor: User, user: User) -> User:
    authz.require(actor, USER_MANAGE, user)
    user.is_active = True
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["is_active", "failed_logins", "locked_until"])
    audit.record(actor=actor, action=AuditAction.ENABLE_USER, obj=user)
    return user


@transaction.atomic
def user_password_set(*, actor: User, user: User, password: str) -> User:
    authz.require(actor, USER_MANAGE, user)
    _validate_password(password, user)
    user.set_password(password)
    user.session_version += 1
    user.save(update_fields=["password", "session_version"])
    TOTPDevice.objects.filter(user=user).delete()  # a reset also resets the second factor
    audit.record(actor=actor, action=AuditAction.RESET_PASSWORD, obj=user)
    return user
