"""System API keys (seed 003 Bab 12): register a system, create, rotate and revoke its keys,
and authenticate a call made with one.

**How a key is stored.** A key is ``ams_`` + 32 random bytes (256 bits). Only a *keyed*
HMAC-SHA256 of it is stored (key derived from ``SECRET_KEY`` for this purpose alone). A slow
hash (bcrypt, argon2) protects low-entropy passwords from guessing; a 256-bit random key cannot
be guessed, so a slow hash would only add ~100 ms of CPU to every API call. The key on the HMAC
means a copy of the database alone does not even let anyone test a leaked candidate key; the
lookup is one unique-index probe.

**Authentication** is the API's one bearer path: ``core.api.TokenWithPermission`` →
``core.access.authenticate_token`` → (by the ``ams_`` prefix, registered in the contract)
:func:`system_key_authenticate`. The caller becomes ``IntegrationActor(system.name)`` with the
system's grants; every service it calls audits it as ``integration:<name>``. A known key that is
revoked, expired or used from an address outside the system's allow-list answers 401 and is
audited (SYSTEM_KEY_REFUSED with the reason and the key's prefix, never the key; at most
``REFUSALS_AUDITED_PER_MINUTE`` rows a minute per key, see ``_refuse``). An unknown key
is 401 without an audit row: there is no system to name, and a flood must not grow the trail.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import ratelimit
from amanah.core.actors import IntegrationActor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.permissions import is_declared
from amanah.iam import authz
from amanah.integrations.models import ExternalSystem, SystemKey
from amanah.integrations.policies import SYSTEM_KEY_MANAGE

logger = logging.getLogger(__name__)

KEY_PREFIX = "ams_"
MAX_VALID_DAYS = 730
LAST_USED_EVERY = timedelta(minutes=1)
REFUSALS_AUDITED_PER_MINUTE = 10  # per key (``_refuse``)


def key_digest(raw: str) -> str:
    return salted_hmac("amanah.integrations.system-key", raw, algorithm="sha256").hexdigest()


def _networks(raw_networks) -> list[str]:
    cleaned = []
    for item in raw_networks:
        item = (item or "").strip()
        if not item:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ServiceError(
                "network_invalid",
                _("Alamat IP/CIDR tidak valid: %(value)s") % {"value": item[:64]},
                field="allowed_networks",
            ) from exc
    return sorted(set(cleaned))


def _check_valid_days(valid_days) -> int:
    if not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ServiceError(
            "validity_invalid",
            _("Masa berlaku 1–%(max)d hari.") % {"max": MAX_VALID_DAYS},
            field="valid_days",
        )
    return valid_days


def _new_key(system: ExternalSystem, *, valid_days: int, now) -> tuple[SystemKey, str]:
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = SystemKey.objects.create(
        system=system,
        prefix=raw[:12],
        key_hash=key_digest(raw),
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    return key, raw


@transaction.atomic
def external_system_create(
    *,
    actor,
    name: str,
    label: str,
    permissions,
    all_branches: bool = False,
    allowed_networks=(),
    valid_days: int = 365,
) -> tuple[ExternalSystem, SystemKey, str]:
    """Register a system with its grants and its first key; the raw key is returned once."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    name = (name or "").strip().lower()
    label = (label or "").strip()
    if not name or len(name) > 40 or not all(c.isalnum() or c in "-_" for c in name):
        raise ServiceError(
            "name_invalid",
            _("Nama sistem: huruf kecil, angka, '-' atau '_' (maks. 40)."),
            field="name",
        )
    if not label or len(label) > 120:
        raise ServiceError("label_required", _("Label wajib diisi (maks. 120)."), field="label")
    permissions = sorted(set(permissions or ()))
    unknown = [p for p in permissions if not is_declared(p)]
    if unknown or not permissions:
        raise ServiceError(
            "permissions_invalid",
            _("Pilih izin dari katalog (minimal satu)."),
            field="permissions",
        )
    networks = _networks(allowed_networks)
    valid_days = _check_valid_days(valid_days)
    if ExternalSystem.objects.filter(name=name).exists():
        raise ServiceError("name_taken", _("Nama sistem sudah dipakai."), field="name")
    now = timezone.now()
    try:
        with transaction.atomic():  # the same name submitted twice at once (a double click)
            system = ExternalSystem.objects.create(
                name=name,
                label=label,
                permissions=permissions,
                all_branches=bool(all_branches),
                allowed_networks=networks,
                created_at=now,
            )
    except IntegrityError:
        raise ServiceError("name_taken", _("Nama sistem sudah dipakai."), field="name") from None
    key, raw = _new_key(system, valid_days=valid_days, now=now)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_EXTERNAL_SYSTEM,
        obj=system,
        meta={
            "system": name,
            "permissions": permissions,
            "all_branches": system.all_branches,
            "networks": len(networks),
        },
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_SYSTEM_KEY,
        obj=key,
        meta={"system": name, "prefix": key.prefix, "valid_days": valid_days},
    )
    return system, key, raw


def _locked_system(actor, system_id) -> ExternalSystem:
    authz.require(actor, SYSTEM_KEY_MANAGE)
    system = (
        ExternalSystem.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=system_id)
        .first()
    )
    if system is None:
        raise NotFound()
    return system


@transaction.atomic
def system_key_rotate(*, actor, system_id, valid_days: int = 365) -> tuple[SystemKey, str]:
    """A new key; every other usable key of the system stops at the end of the rotation
    window (``INTEGRATIONS_KEY_ROTATION_HOURS``), so old and new both work meanwhile."""
    system = _locked_system(actor, system_id)
    valid_days = _check_valid_days(valid_days)
    now = timezone.now()
    window_end = now + timedelta(hours=settings.INTEGRATIONS_KEY_ROTATION_HOURS)
    cut = SystemKey.objects.filter(
        system=system, revoked_at__isnull=True, expires_at__gt=window_end
    ).update(expires_at=window_end)
    key, raw = _new_key(system, valid_days=valid_days, now=now)
    audit.record(
        actor=actor,
        action=AuditAction.ROTATE_SYSTEM_KEY,
        obj=key,
        meta={
            "system": system.name,
            "prefix": key.prefix,
            "valid_days": valid_days,
            "old_keys_until": window_end.isoformat(),
            "old_keys": cut,
        },
    )
    return key, raw


@transaction.atomic
def system_key_revoke(*, actor, key_id) -> SystemKey:
    """Revoke one key at once (idempotent: a revoked key stays revoked, audited once)."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    key = (
        SystemKey.objects.visible_to(actor)
        .select_related("system")
        .select_for_update(of=("self",))
        .filter(pk=key_id)
        .first()
    )
    if key is None:
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action=AuditAction.REVOKE_SYSTEM_KEY,
            obj=key,
            meta={"system": key.system.name, "prefix": key.prefix},
        )
    return key


def actor_for(system: ExternalSystem) -> IntegrationActor:
    """The system as an actor: exactly its grants (codes no longer declared are dropped)."""
    return IntegrationActor(
        system.name,
        permissions=[p for p in system.permissions if is_declared(p)],
        all_branches=system.all_branches,
    )


def _address_allowed(system: ExternalSystem, remote_addr: str | None) -> bool:
    if not system.allowed_networks:
        return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in system.allowed_networks
    )


def _refuse(key: SystemKey, reason: str, actor: IntegrationActor) -> None:
    """Audit a refused known key — at most ``REFUSALS_AUDITED_PER_MINUTE`` times a minute per
    key. A revoked key is typically a leaked one: replayed in a loop, an audit row per call
    would queue every request on the audit chain's lock (and grow the trail) for as long as
    the caller likes. Beyond the limit the call is still 401, counted, not audited."""
    decision = ratelimit.hit(f"system-key-refused:{key.pk}", limit=REFUSALS_AUDITED_PER_MINUTE)
    if not decision.allowed:
        return
    logger.warning("system API key refused: %s", reason)  # no key, no address, no system name
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.SYSTEM_KEY_REFUSED,
            obj=key,
            meta={"system": key.system.name, "prefix": key.prefix, "reason": reason},
        )


def system_key_authenticate(raw: str, *, remote_addr: str | None = None):
    """The system behind a key as an ``IntegrationActor``, or None (the API answers 401)."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    key = SystemKey.objects.select_related("system").filter(key_hash=key_digest(raw)).first()
    if key is None:
        return None
    actor = actor_for(key.system)
    now = timezone.now()
    if key.revoked_at is not None:
        _refuse(key, "revoked", actor)
        return None
    if now >= key.expires_at:
        _refuse(key, "expired", actor)
        return None
    if not _address_allowed(key.system, remote_addr):
        _refuse(key, "address_not_allowed", actor)
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        SystemKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return actor
