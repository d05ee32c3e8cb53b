"""Masked fields, revealed one at a time for a stated reason."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import ratelimit, registry
from amanah.core.contributions import RevealableField, revealable_key
from amanah.core.errors import ServiceError
from amanah.core.masking import mask
from amanah.iam import authz
from amanah.iam.models import (
    User,
)

# --------------------------------------------------------------------------- masked fields

# Fields masked by default and revealed one at a time are registered by the app that owns them
# (``registry.revealable_fields``, "<model label>.<field>" -> RevealableField).


def _revealable(obj, field: str) -> RevealableField | None:
    key = revealable_key(obj._meta.label, field)
    return registry.revealable_fields.get(key) if key in registry.revealable_fields else None


def masked(obj, field: str) -> str:
    entry = registry.revealable_fields.get(revealable_key(obj._meta.label, field))
    return mask(entry.mask, getattr(obj, field))


def _check_reveal_rate(actor) -> None:
    """Reveals are one at a time: a burst of them is harvesting, not serving a customer."""
    ratelimit.require(
        f"field-reveal:{actor.pk}",
        limit=settings.PII_REVEAL_RATE_LIMIT_PER_MINUTE,
        message=_("Terlalu banyak data dibuka. Coba lagi dalam %d detik."),
    )


@transaction.atomic
def field_reveal(*, actor: User, obj, field: str, reason: str) -> str:
    """Return one masked field in clear, for a stated reason; audited as REVEAL_FIELD and
    rate limited per actor (``PII_REVEAL_RATE_LIMIT_PER_MINUTE``, then 429)."""
    return _reveal(actor, obj, field, reason, in_scope=obj, meta={})


@transaction.atomic
def field_reveal_via(*, actor: User, obj, field: str, reason: str, via) -> str:
    """``field_reveal`` for someone who may not open ``obj`` itself but handles ``via``, a
    record in their scope that belongs to it (a case taken at this office for a customer of
    another branch: its handlers see the customer masked). The caller states that ``via``
    belongs to ``obj``; here: the field is revealable, the actor holds its permission and has
    ``via`` in scope, a reason, the same rate limit; REVEAL_FIELD on ``obj`` naming ``via``."""
    meta = {"via": via._meta.label, "via_id": str(via.pk)}
    return _reveal(actor, obj, field, reason, in_scope=via, meta=meta)


def _reveal(actor: User, obj, field: str, reason: str, *, in_scope, meta: dict) -> str:
    entry = _revealable(obj, field)
    if entry is None:
        raise ServiceError("field_not_revealable", _("Data ini tidak dapat dibuka."), field="field")
    authz.require(actor, entry.permission, in_scope)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan (minimal 10 karakter)."), field="reason"
        )
    _check_reveal_rate(actor)
    audit.record(
        actor=actor,
        action=AuditAction.REVEAL_FIELD,
        obj=obj,
        meta={"field": field, "reason": reason[:300], **meta},
    )
    return getattr(obj, field)
