"""Every change to identities and access goes through here (DESIGN.md §2).

Each service takes ``actor`` first (keyword-only), checks permission and scope, validates,
writes, and records its audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import registry
from amanah.core.actors import SystemActor
from amanah.core.contributions import RevealableField, revealable_key
from amanah.core.errors import ServiceError
from amanah.core.masking import mask
from amanah.core.permissions import catalogue, is_declared
from amanah.core.roles import RoleKey
from amanah.iam import authz
from amanah.iam.models import (
    ApiToken,
    Branch,
    PermissionSeed,
    Role,
    RolePermission,
    ScopeType,
    User,
    UserBranchScope,
    UserRole,
)
from amanah.iam.policies import (
    BRANCH_MANAGE,
    RBAC_MANAGE,
    TOKEN_MANAGE,
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
        for perm in fresh:
            for role in perm.default_roles:
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


# --------------------------------------------------------------------------- authentication


class LoginRefused(Exception):
    """Wrong credentials, a locked or disabled account: the caller shows one neutral message."""

    def __init__(self, locked_until: datetime | None = None):
        super().__init__("login refused")
        self.locked_until = locked_until


def _refuse_login(user: User | None, username: str) -> LoginRefused:
    """Count the failure (locking the account at the limit) and audit it; commits."""
    now = timezone.now()
    with transaction.atomic():
        if user is None:
            audit.record(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                object_type="USER",
                object_id="",
                actor_label="unknown:" + audit.keyed_hash(username)[:16],
                meta={"reason": "unknown_user"},
            )
            return LoginRefused()
        user = User.objects.select_for_update(of=("self",), no_key=True).get(pk=user.pk)
        if user.locked_until and user.locked_until > now:
            audit.record(
                actor=user, action=AuditAction.LOGIN_FAILED, obj=user, meta={"reason": "locked"}
            )
            return LoginRefused(user.locked_until)
        user.failed_logins += 1
        reason = "bad_password" if user.is_active else "disabled"
        audit.record(actor=user, action=AuditAction.LOGIN_FAILED, obj=user, meta={"reason": reason})
        if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
            user.locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
            user.failed_logins = 0
            audit.record(
                actor=user,
                action=AuditAction.LOCKOUT,
                obj=user,
                meta={"until": user.locked_until.isoformat()},
            )
        user.save(update_fields=["failed_logins", "locked_until"])
        return LoginRefused(user.locked_until)


def auth_login(*, username: str, password: str) -> User:
    """Check a username and password; raise LoginRefused (after recording it) otherwise.

    Locked accounts are refused even with the right password, so guessing cannot continue.
    """
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        make_password(password)  # same cost as a real check: no timing hint about usernames
        raise _refuse_login(None, username)
    locked = user.locked_until and user.locked_until > timezone.now()
    if locked or not user.is_active or not user.check_password(password):
        raise _refuse_login(user, username)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.active_role = default_role(user)
        audit.record(
            actor=user,
            action=AuditAction.LOGIN,
            obj=user,
            meta={"mfa_required": mfa_required(user)},
        )
    return user


def default_role(user: User) -> str:
    keys = user.role_keys()
    return keys[0] if keys else ""


def mfa_required(user: User) -> bool:
    return any(key in settings.MFA_REQUIRED_ROLES for key in user.role_keys())


@transaction.atomic
def auth_logout(*, actor: User, reason: str = "user") -> None:
    action = AuditAction.SESSION_EXPIRED if reason != "user" else AuditAction.LOGOUT
    audit.record(actor=actor, action=action, obj=actor, meta={"reason": reason})


@transaction.atomic
def mfa_enrol_start(*, actor: User) -> TOTPDevice:
    """A fresh, unconfirmed TOTP device (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="Authenticator", confirmed=False)


def _check_totp(actor: User, device: TOTPDevice, token: str, *, enrol: bool) -> None:
    token = (token or "").strip().replace(" ", "")
    ok = token.isdigit() and len(token) == 6 and device.verify_token(token)
    with transaction.atomic():
        if not ok:
            audit.record(
                actor=actor, action=AuditAction.MFA_FAILED, obj=actor, meta={"enrol": enrol}
            )
        else:
            if enrol:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
            action = AuditAction.MFA_ENROL if enrol else AuditAction.MFA_VERIFY
            audit.record(actor=actor, action=action, obj=actor)
    if not ok:
        raise ServiceError(
            "mfa_invalid", _("Kode verifikasi salah atau kedaluwarsa."), field="token"
        )


def mfa_enrol_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    if device.user_id != actor.pk or device.confirmed:
        raise ServiceError("mfa_invalid", _("Pendaftaran MFA tidak ditemukan."))
    _check_totp(actor, device, token, enrol=True)
    return device


def mfa_verify(*, actor: User, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=actor, confirmed=True).first()
    if device is None:
        raise ServiceError("mfa_not_enrolled", _("MFA belum didaftarkan."))
    _check_totp(actor, device, token, enrol=False)
    return device


@transaction.atomic
def role_switch(*, actor: User, role: str) -> str:
    if role not in actor.role_keys():
        raise ServiceError("role_not_held", _("Anda tidak memiliki peran ini."), field="role")
    previous = getattr(actor, "active_role", "")
    actor.active_role = role
    authz.forget(actor)
    audit.record(
        actor=actor, action=AuditAction.SWITCH_ROLE, obj=actor, meta={"from": previous, "to": role}
    )
    return role


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


# --------------------------------------------------------------------------- branches


@transaction.atomic
def branch_save(
    *, actor: User, code: str, name: str, timezone_name: str, branch: Branch | None = None
) -> Branch:
    authz.require(actor, BRANCH_MANAGE)
    code, name = code.strip().upper(), name.strip()
    if not code or len(code) > 10 or not code.isalnum():
        raise ServiceError("code_invalid", _("Kode cabang 1–10 huruf/angka."), field="code")
    if not name:
        raise ServiceError("name_required", _("Nama cabang wajib diisi."), field="name")
    from amanah.iam.models import TimeZoneChoice

    if timezone_name not in TimeZoneChoice.values:
        raise ServiceError(
            "timezone_invalid", _("Zona waktu harus WIB, WITA atau WIT."), field="timezone"
        )
    clash = Branch.objects.filter(code=code).exclude(pk=branch.pk if branch else None)
    if clash.exists():
        raise ServiceError("code_taken", _("Kode cabang sudah dipakai."), field="code")
    before = (
        {"code": branch.code, "name": branch.name, "timezone": branch.timezone} if branch else None
    )
    branch = branch or Branch()
    branch.code, branch.name, branch.timezone = code, name, timezone_name
    branch.save()
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_BRANCH,
        obj=branch,
        meta={"before": before, "after": {"code": code, "name": name, "timezone": timezone_name}},
    )
    return branch


# --------------------------------------------------------------------------- API tokens

TOKEN_PREFIX = "amk_"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, actor: User, user: User, role: str, name: str, valid_days: int = 90
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    authz.require(actor, TOKEN_MANAGE, user)
    if role not in user.role_keys():
        raise ServiceError("role_not_held", _("Pengguna tidak memiliki peran ini."), field="role")
    if not name.strip():
        raise ServiceError("name_required", _("Nama token wajib diisi."), field="name")
    if not 1 <= valid_days <= 365:
        raise ServiceError("validity_invalid", _("Masa berlaku 1–365 hari."), field="valid_days")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        role_id=role,
        name=name.strip(),
        prefix=raw[:12],
        token_hash=token_digest(raw),
        expires_at=timezone.now() + timedelta(days=valid_days),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_API_TOKEN,
        obj=token,
        meta={"user": user.username, "role": role, "valid_days": valid_days},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    authz.require(actor, TOKEN_MANAGE, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AuditAction.REVOKE_API_TOKEN, obj=token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The token's user, acting in the token's role, or None for any unusable token."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=token_digest(raw)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.active_role = token.role_id
    return user


# --------------------------------------------------------------------------- masked fields

# Fields masked by default and revealed one at a time are registered by the app that owns them
# (``registry.revealable_fields``, "<model label>.<field>" -> RevealableField).


def _revealable(obj, field: str) -> RevealableField | None:
    key = revealable_key(obj._meta.label, field)
    return registry.revealable_fields.get(key) if key in registry.revealable_fields else None


def masked(obj, field: str) -> str:
    entry = registry.revealable_fields.get(revealable_key(obj._meta.label, field))
    return mask(entry.mask, getattr(obj, field))


@transaction.atomic
def field_reveal(*, actor: User, obj, field: str, reason: str) -> str:
    """Return one masked field in clear, for a stated reason; audited as REVEAL_FIELD."""
    entry = _revealable(obj, field)
    if entry is None:
        raise ServiceError("field_not_revealable", _("Data ini tidak dapat dibuka."), field="field")
    authz.require(actor, entry.permission, obj)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan (minimal 10 karakter)."), field="reason"
        )
    audit.record(
        actor=actor,
        action=AuditAction.REVEAL_FIELD,
        obj=obj,
        meta={"field": field, "reason": reason[:300]},
    )
    return getattr(obj, field)
