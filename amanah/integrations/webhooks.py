"""Outbound webhooks (issue 21): external systems subscribe to chosen domain events and get
each one POSTed to their URL, signed, with retries — a first slice: the case events.

**Subscriptions.** An ADMIN (``integration.key.manage``) subscribes a registered system to
events of :data:`EVENTS`; the system must hold the permission each event needs (the case
events: ``case.view``). The URL is https (plain http only when
``INTEGRATIONS_WEBHOOK_ALLOW_HTTP``, the tests' loopback receiver); redirects are never
followed. The host must be on a public address — not loopback, private or link-local (a
server-side request forgery into the bank's own network): checked when the subscription is
saved and again at every send, which connects to the address it checked (``egress``).

**What a receiver gets.** Only what the system itself could read through the API: the
payload is built per subscription as ``IntegrationActor(system)`` — a case outside its
branches is not sent at all; a sensitive case (fraud/scam) only to a system allowed to see
sensitive details; the customer's CIF only to a system holding ``customer.view``; never the
complaint's text, a name, a phone number or an address.

**In the emitting transaction.** The handler only *inserts* delivery rows (``WebhookDelivery``:
the delivery log), so they exist exactly when the change commits, and defers the delivery job
on commit. No network call ever happens inside a business transaction: a receiver that times
out delays its own deliveries, never a case. The inserts take only ``FOR KEY SHARE`` on the
subscription row, which the delivery job's ``FOR NO KEY UPDATE`` does not block.

**Signature.** Headers ``X-Amanah-Event``, ``X-Amanah-Delivery`` (the row's id: the same on
every attempt, the receiver's idempotency key), ``X-Amanah-Timestamp`` (Unix seconds of this
attempt) and ``X-Amanah-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``. A
receiver recomputes it over the raw body, compares in constant time and refuses a timestamp
older than five minutes (:func:`verify_signature` is that check). The secret (``whsec_…``) is
derived from ``INTEGRATIONS_WEBHOOK_KEY`` (outside the database), the subscription's id and
``secret_version``; it is shown once and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.contract import may_see_sensitive
from amanah.cases.models import Case
from amanah.cases.policies import CASE_VIEW
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.prepared import prepared
from amanah.customers.models import CustomerIdentifier, IdentifierType
from amanah.customers.policies import CUSTOMER_VIEW
from amanah.iam import authz
from amanah.integrations import egress
from amanah.integrations.models import (
    ExternalSystem,
    SystemKey,
    WebhookDelivery,
    WebhookSubscription,
)
from amanah.integrations.policies import SYSTEM_KEY_MANAGE

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SIGNATURE_TOLERANCE = 300  # seconds a receiver accepts between our timestamp and its clock
MAX_URL = 500


# --------------------------------------------------------------------------- payloads


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _cif(customer_id) -> str | None:
    return (
        CustomerIdentifier.objects.filter(
            customer_id=customer_id, id_type=IdentifierType.CIF, is_primary=True
        )
        .values_list("id_value", flat=True)
        .first()
    )


def case_payload(system_actor, *, case, **_objects) -> dict | None:
    """A case as the system may see it, or None (out of its scope, or sensitive for it)."""
    row = (
        Case.objects.visible_to(system_actor)
        .select_related("category", "branch")
        .filter(pk=case.pk)
        .first()
    )
    if row is None or not may_see_sensitive(system_actor, row):
        return None
    data = {
        "case_no": row.case_no,
        "status": row.status,
        "channel": row.channel,
        "priority": row.priority,
        "category": row.category.code,
        "branch": row.branch.code,
        "received_at": _iso(row.received_at),
        "sla_due_at": _iso(row.sla_due_at),
        "closed_at": _iso(row.closed_at),
        "resolution_code": row.resolution_code or None,
    }
    if authz.has_perm(system_actor, CUSTOMER_VIEW):
        data["customer"] = {"cif": _cif(row.customer_id)}
    return data


@dataclass(frozen=True)
class WebhookEvent:
    label: object  # lazy Indonesian label
    permission: str  # what the system must hold to subscribe
    payload: Callable[..., dict | None]  # (system actor, **the event's objects) -> data


EVENTS: dict[str, WebhookEvent] = {
    "cases.case_created": WebhookEvent(gettext_lazy("Kasus dibuat"), CASE_VIEW, case_payload),
    "cases.case_closed": WebhookEvent(gettext_lazy("Kasus ditutup"), CASE_VIEW, case_payload),
}


# --------------------------------------------------------------------------- secrets, signatures


def subscription_secret(subscription: WebhookSubscription) -> str:
    """The signing secret: derived, never stored (a database copy alone cannot forge)."""
    mac = hmac.new(
        settings.INTEGRATIONS_WEBHOOK_KEY.encode(),
        f"webhook:{subscription.pk}:{subscription.secret_version}".encode(),
        hashlib.sha256,
    ).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(delivery: WebhookDelivery, secret: str, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Amanah-Webhooks/1",
        "X-Amanah-Event": delivery.event,
        "X-Amanah-Delivery": str(delivery.pk),
        "X-Amanah-Timestamp": str(timestamp),
        "X-Amanah-Signature": signature(secret, timestamp, body),
    }


def verify_signature(
    secret: str, *, timestamp: str, body: bytes, signature_header: str, now: float | None = None
) -> bool:
    """The receiver's check: a fresh timestamp and our HMAC over exactly this body."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - stamp) > SIGNATURE_TOLERANCE:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), signature_header or "")


# --------------------------------------------------------------------------- subscriptions


def _check_url(url: str) -> str:
    """A URL the delivery job can send to: https (see ``INTEGRATIONS_WEBHOOK_ALLOW_HTTP``), no
    user name, parsed as the HTTP client parses it, and its host on a public address
    (``egress``; the check is repeated at every send)."""
    url = (url or "").strip()
    schemes = ("https", "http") if settings.INTEGRATIONS_WEBHOOK_ALLOW_HTTP else ("https",)
    try:
        parsed = egress.parse_url(url) if len(url) <= MAX_URL else None
    except egress.Refused:
        parsed = None
    if parsed is None or parsed.scheme not in schemes or parsed.userinfo:
        raise ServiceError(
            "url_invalid",
            _("Alamat webhook harus https://… tanpa nama pengguna (maks. 500 karakter)."),
            field="url",
        )
    try:
        egress.check_host(parsed)
    except egress.Refused as refused:
        if refused.code == "dns_error":
            raise ServiceError(
                "url_unresolvable",
                _("Nama host alamat webhook tidak dapat ditemukan (DNS)."),
                field="url",
            ) from None
        raise ServiceError(
            "url_not_public",
            _(
                "Alamat webhook menunjuk ke jaringan internal (loopback, privat atau"
                " link-local); hanya alamat publik yang diizinkan."
            ),
            field="url",
        ) from None
    return url


def _check_events(system: ExternalSystem, chosen) -> list[str]:
    chosen = sorted({str(e) for e in (chosen or ())})
    if not chosen or any(e not in EVENTS for e in chosen):
        raise ServiceError(
            "events_invalid", _("Pilih peristiwa dari daftar (minimal satu)."), field="events"
        )
    missing = [e for e in chosen if EVENTS[e].permission not in system.permissions]
    if missing:
        raise ServiceError(
            "events_not_granted",
            _("Sistem ini tidak memiliki izin untuk peristiwa: %(events)s")
            % {"events": ", ".join(missing)},
            field="events",
        )
    return chosen


def _check_reach(system: ExternalSystem) -> None:
    """Every event of :data:`EVENTS` is about a row scoped by branch (a case): a system with
    neither "all branches" nor any branch would never be sent one — a subscription that
    silently receives nothing is refused instead."""
    from amanah.integrations.services import actor_for

    grants = actor_for(system).grants
    if not grants.all_branches and not grants.branch_ids:
        raise ServiceError(
            "system_reaches_no_branch",
            _(
                "Sistem ini tidak menjangkau cabang mana pun, jadi tidak akan pernah menerima"
                " peristiwa kasus. Beri sistem akses semua cabang terlebih dahulu."
            ),
        )


@transaction.atomic
def webhook_subscription_create(
    *, actor, system_id, url: str, events
) -> tuple[WebhookSubscription, str]:
    """Subscribe a system to events; returns the subscription and its secret (shown once)."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    system = (
        ExternalSystem.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=system_id)
        .first()
    )
    if system is None:
        raise NotFound()
    url = _check_url(url)
    chosen = _check_events(system, events)
    _check_reach(system)
    subscription = WebhookSubscription.objects.create(system=system, url=url, events=chosen)
    audit.record(  # no URL in the trail: it may carry the receiver's own token
        actor=actor,
        action=AuditAction.CREATE_WEBHOOK,
        obj=subscription,
        meta={"system": system.name, "events": chosen, "host": urlsplit(url).hostname},
    )
    return subscription, subscription_secret(subscription)


WEBHOOK_DISABLED = "integrations.webhook_disabled"  # actor, subscription, reason


@transaction.atomic
def webhook_subscription_disable(*, actor, subscription_id) -> WebhookSubscription:
    """Switch a subscription off by hand (idempotent: an inactive one stays as it is, audited
    once). Emits ``integrations.webhook_disabled`` (reason ``manual``), as the delivery job
    does when it switches one off after failures (reason ``failures``)."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    subscription = (
        WebhookSubscription.objects.visible_to(actor)
        .select_related("system")
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise NotFound()
    if subscription.active:
        subscription.active, subscription.disabled_at = False, timezone.now()
        subscription.save(update_fields=["active", "disabled_at"])
        events.emit(WEBHOOK_DISABLED, actor=actor, subscription=subscription, reason="manual")
        audit.record(
            actor=actor,
            action=AuditAction.DISABLE_WEBHOOK,
            obj=subscription,
            meta={"system": subscription.system.name, "reason": "manual"},
        )
    return subscription


def usable_key_exists(system_ref: str = "system", at=None) -> Exists:
    """EXISTS a key of the system at ``system_ref`` that is neither revoked nor expired: a
    system whose keys were all revoked is switched off as a caller, and as a receiver too."""
    return Exists(
        SystemKey.objects.filter(
            system=OuterRef(system_ref),
            revoked_at__isnull=True,
            expires_at__gt=at or timezone.now(),
        )
    )


# --------------------------------------------------------------------------- the handler


def on_event(event: str) -> Callable[..., None]:
    """The handler of ``event`` (registered in the contract): one delivery row per active
    subscription whose system may see the event's object, in the emitting transaction."""
    spec = EVENTS[event]

    def handle(*, actor, **objects) -> None:
        from amanah.integrations.services import actor_for

        subscriptions = _subscribed(None, event=event, now=timezone.now())
        if not subscriptions:
            return
        event_id, at = uuid.uuid4(), timezone.now()
        rows = []
        for subscription in subscriptions:
            data = spec.payload(actor_for(subscription.system), **objects)
            if data is None:
                continue
            rows.append(
                WebhookDelivery(
                    subscription=subscription,
                    event=event,
                    event_id=event_id,
                    payload={
                        "event": event,
                        "event_id": str(event_id),
                        "occurred_at": at.isoformat(),
                        "data": data,
                    },
                    next_attempt_at=at,
                    created_at=at,
                )
            )
        if rows:
            WebhookDelivery.objects.bulk_create(rows)
            transaction.on_commit(deliver_soon)

    handle.__qualname__ = f"webhook_{event.replace('.', '_')}"
    return handle


@prepared(WebhookSubscription, params=("now",))
def _subscribed(_actor, *, event: str, now):
    """The active subscriptions to ``event`` of systems with a usable key (kept compiled per
    event: every case created or closed asks)."""
    return (
        WebhookSubscription.objects.filter(active=True, events__contains=[event])
        .filter(usable_key_exists(at=now))  # no usable key: the system is switched off
        .select_related("system")
        .order_by("pk")
    )


def deliver_soon() -> None:
    from amanah.integrations.tasks import deliver_soon as defer

    defer()
