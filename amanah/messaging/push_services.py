"""Web Push subscriptions of staff browsers: the only writes of ``PushSubscription``.

A signed-in member of staff subscribes *their own* browser (the notification settings page
runs ``pushManager.subscribe`` and posts the result here) and may remove it again. Input is
checked before anything is written: the endpoint must be an ``https`` URL without
credentials (``http`` on a loopback host only where ``MESSAGING_PUSH_ALLOW_HTTP``: tests and
the demo's fake push service), ``p256dh`` a P-256 public key (65-byte uncompressed point,
base64url) and ``auth`` a 16-byte secret. An endpoint already known moves to the actor (the
browser changed hands). Audited without the endpoint or the keys (capability secrets).
"""

from __future__ import annotations

import binascii
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import ServiceError
from amanah.messaging.models import PushSubscription
from amanah.messaging.providers.webpush import b64url_decode

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _require_staff(actor) -> None:
    if getattr(actor, "pk", None) is None or not getattr(actor, "is_authenticated", False):
        raise ServiceError("forbidden", _("Hanya staf yang masuk yang dapat berlangganan."))


def _endpoint(value: str) -> str:
    value = (value or "").strip()
    invalid = ServiceError(
        "push_endpoint_invalid", _("Alamat layanan push tidak valid."), field="endpoint"
    )
    if not value or len(value) > 1000 or not value.isascii() or any(c.isspace() for c in value):
        raise invalid
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise invalid from None
    if parts.username or parts.password or not host:
        raise invalid
    loopback_http = (
        parts.scheme == "http" and host in LOOPBACK and settings.MESSAGING_PUSH_ALLOW_HTTP
    )
    if parts.scheme != "https" and not loopback_http:
        raise invalid
    return value


def _key(value: str, *, field: str, length: int) -> str:
    value = (value or "").strip()
    invalid = ServiceError("push_key_invalid", _("Kunci langganan push tidak valid."), field=field)
    if not value or len(value) > 120 or not value.isascii():
        raise invalid
    try:
        raw = b64url_decode(value)
    except (binascii.Error, ValueError):
        raise invalid from None
    if len(raw) != length:
        raise invalid
    if field == "p256dh":
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            raise invalid from None
    return value


@transaction.atomic
def push_subscription_save(*, actor, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep (or move to the actor) one browser's subscription."""
    _require_staff(actor)
    endpoint = _endpoint(endpoint)
    p256dh = _key(p256dh, field="p256dh", length=65)
    auth = _key(auth, field="auth", length=16)
    subscription, created = PushSubscription.objects.select_for_update().update_or_create(
        endpoint=endpoint, defaults={"user_id": actor.pk, "p256dh": p256dh, "auth": auth}
    )
    audit.record(
        actor=actor,
        action=AuditAction.PUSH_SUBSCRIBE,
        object_type="messaging.PushSubscription",
        object_id=str(subscription.pk),
        meta={"created": created},
    )
    return subscription


@transaction.atomic
def push_subscription_delete(*, actor, endpoint: str) -> int:
    """Remove the actor's own subscription for ``endpoint`` (another user's is left alone:
    the answer is the same 0, nothing is revealed)."""
    _require_staff(actor)
    endpoint = _endpoint(endpoint)
    deleted, _rows = PushSubscription.objects.filter(endpoint=endpoint, user_id=actor.pk).delete()
    if deleted:
        audit.record(
            actor=actor,
            action=AuditAction.PUSH_UNSUBSCRIBE,
            object_type="messaging.PushSubscription",
            object_id="own",
            meta={"deleted": deleted},
        )
    return deleted
