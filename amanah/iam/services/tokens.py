"""API tokens: issue, revoke, authenticate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.iam.models import (
    ApiToken,
    User,
)
from amanah.iam.policies import (
    TOKEN_MANAGE,
)

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
