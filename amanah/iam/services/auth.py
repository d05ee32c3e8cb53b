"""Sign-in, second factor (MFA) and the active role."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.iam.models import (
    User,
)

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
