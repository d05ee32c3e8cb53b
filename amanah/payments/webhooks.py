"""The gateways' callbacks, mounted at ``/webhooks/payments/``: declared ``SIGNED_REQUEST``.

The endpoint does the minimum, the same for both gateways, and the processing job
(``processing.py``) applies what it stored, in batches (issue 17: 500 callbacks/s):

1. the signature (Midtrans ``signature_key``) or token (Xendit ``x-callback-token``) is
   checked in constant time: wrong or missing → 401 (and 429 once one address keeps trying);
2. the gateway's integrations system (``PAYMENT_GATEWAYS[...]["system"]``) must be usable
   as the actor: an ``IntegrationActor`` with that system's grants, only if the system has a
   usable API key, holds ``payments.callback.apply`` and *only* payment grants, and the
   caller's address is on its allow-list (when it has one). Otherwise → 503 (the gateway
   retries) or 401 for an address outside the list;
3. the verified callback is parsed (unreadable → 400);
4. the raw callback is stored append-only in ONE INSERT (its own commit) with that outcome:
   REJECTED and its reason, or RECEIVED for the job; then the job is asked for (at most one
   waits; a sweep every minute as well) and the answer is 200 ``{"verdict": "RECEIVED"}``:
   the gateway stops retrying once the callback is safely kept, not once it is applied.

Every callback that reaches the view is stored, refused or not; one whose checks fail on an
error is stored without a verdict before the error propagates (a 500: the gateway retries).
The view runs no session, CSRF, message or template machinery (``core.middleware.lean``
skips those middlewares for this prefix). Nothing from a body, a header value or an order id
is logged.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from amanah.core import ratelimit
from amanah.core.actors import IntegrationActor
from amanah.core.errors import error_body
from amanah.core.permissions import SIGNED_REQUEST
from amanah.integrations.models import ExternalSystem
from amanah.payments import gateways, services, systems
from amanah.payments.models import Provider, Verdict
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW
from amanah.payments.tasks import callbacks_soon

logger = logging.getLogger(__name__)


def signed_callback(view):
    @csrf_exempt
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method != "POST":
            return _error("method_not_allowed", _("Metode tidak diizinkan."), 405)
        return view(request, *args, **kwargs)

    guarded.required_permission = SIGNED_REQUEST
    guarded.verifies_own_input = True
    return guarded


@signed_callback
def midtrans_callback(request):
    return _receive(request, Provider.MIDTRANS)


@signed_callback
def xendit_callback(request):
    return _receive(request, Provider.XENDIT)


def integration_actor(
    system_name: str, remote_addr: str | None
) -> tuple[IntegrationActor | None, str]:
    """The gateway's system as an actor, or (None, why not): ``systems.gateway_actor``
    and, when the system has an allow-list, the caller's address on it."""
    system, actor, why = systems.gateway_actor(system_name)
    if actor is None:
        return None, why
    if system.allowed_networks:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return None, "address_not_allowed"
        if not any(
            address in ipaddress.ip_network(n, strict=False) for n in system.allowed_networks
        ):
            return None, "address_not_allowed"
    return actor, ""


def _receive(request, provider: str) -> JsonResponse:
    try:
        gateway = gateways.gateway_for(provider)
    except ImproperlyConfigured:
        return _error("not_found", _("Webhook tidak ditemukan."), 404)
    try:
        body, readable = request.body, True
    except RawPostDataException:  # a multipart form someone posted: already parsed away
        body, readable = b"", False
    headers = gateways.kept_headers(request.headers)
    try:
        outcome = _check(request, gateway, body, readable)
    except Exception:
        services.callback_store(provider=provider, headers=headers, body=body)
        raise
    if isinstance(outcome, Refusal):
        services.callback_store(
            provider=provider,
            headers=headers,
            body=body,
            verdict=Verdict.REJECTED,
            reason=outcome.reason,
        )
        return outcome.response(request, provider)
    services.callback_store(
        provider=provider,
        headers=headers,
        body=body,
        verdict=Verdict.RECEIVED,
        order_id=outcome.order_id,
    )
    callbacks_soon()
    return JsonResponse({"verdict": Verdict.RECEIVED, "reason": ""})


class Refusal:
    """A callback refused at the endpoint (stored REJECTED with ``reason``), and its answer
    (the bad-signature rate limit counts in a statement of its own)."""

    def __init__(self, kind: str, reason: str):
        self.kind, self.reason = kind, reason

    def response(self, request, provider: str) -> JsonResponse:
        if self.kind == "bad_signature":
            return _refused(request, provider)
        if self.kind == "malformed":
            return _error("invalid_json", _("Isi callback tidak dapat dibaca."), 400)
        logger.warning(
            "%s payment callback: integration refused (%s)", provider.lower(), self.reason
        )
        if self.reason == "address_not_allowed":
            return _error("unauthorized", _("Alamat pengirim tidak diizinkan."), 401)
        return _error("unavailable", _("Integrasi gateway belum siap."), 503)


def _check(request, gateway, body: bytes, readable: bool):
    """Steps 1–3 of the module's docstring: the verified notification, or a ``Refusal``."""
    if not readable:
        return Refusal("malformed", "malformed")
    try:
        document = gateway.verify(request.headers, body)
    except gateways.BadSignature:
        return Refusal("bad_signature", "bad_signature")
    except gateways.Malformed:  # the token was right (Xendit), the body unreadable
        return Refusal("malformed", "malformed")
    actor, why = integration_actor(gateway.system, request.META.get("REMOTE_ADDR"))
    if actor is None:
        return Refusal("integration", why)
    try:
        return gateway.parse(document)
    except gateways.Malformed:
        return Refusal("malformed", "malformed")


def _refused(request, provider: str) -> JsonResponse:
    limit = getattr(settings, "PAYMENT_BAD_SIGNATURES_PER_MINUTE", 60)
    decision = ratelimit.hit(
        f"payment-signature:{provider}:{request.META.get('REMOTE_ADDR', '')}", limit=limit
    )
    logger.warning("%s payment callback: missing or invalid signature refused", provider.lower())
    if not decision.allowed:
        response = _error("rate_limited", _("Terlalu banyak tanda tangan tidak sah."), 429)
        response["Retry-After"] = str(decision.retry_after)
        return response
    return _error("unauthorized", _("Tanda tangan atau token tidak ada atau tidak sah."), 401)


def _error(code: str, message, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, str(message)), status=status)


GATEWAY_GRANTS = (PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW)  # a gateway's system holds these alone


def gateway_systems_missing() -> list[str]:
    """The configured gateways whose integrations system is not registered yet."""
    names = {g["system"] for g in settings.PAYMENT_GATEWAYS.values() if g.get("system")}
    known = set(ExternalSystem.objects.filter(name__in=names).values_list("name", flat=True))
    return sorted(names - known)


def gateway_systems_register(*, actor) -> list[str]:
    """Register the integrations system of every configured gateway that has none yet (what
    an operator does before a gateway goes live; the demo does it for the fake gateway): the
    payment grants alone, every branch. Returns the names registered (idempotent)."""
    from amanah.integrations.services import external_system_create

    missing = gateway_systems_missing()
    for name in missing:
        external_system_create(
            actor=actor,
            name=name,
            label=name.title(),
            permissions=list(GATEWAY_GRANTS),
            all_branches=True,
        )
    return missing
