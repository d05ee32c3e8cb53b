"""The gateways' callbacks, mounted at ``/webhooks/payments/``: declared ``SIGNED_REQUEST``.

Order of work, the same for both gateways:

1. the raw callback is stored (``services.callback_store``) before anything else is read —
   in the transaction that then sets its verdict and applies it, one commit for all; the
   processing runs in a savepoint, so a failure there still commits the raw callback (and a
   failure of the commit itself stores it on its own: ``services.callback_keep``);
2. the signature (Midtrans ``signature_key``) or token (Xendit ``x-callback-token``) is
   checked in constant time: wrong or missing → 401, the callback REJECTED, nothing changed
   (and 429 once one address keeps trying);
3. the gateway's integrations system (``PAYMENT_GATEWAYS[...]["system"]``) becomes the
   actor: an ``IntegrationActor`` with that system's grants, only if the system has a usable
   API key, holds ``payments.callback.apply`` and *only* payment grants, and the caller's
   address is on its allow-list (when it has one). Otherwise → 503 (the gateway retries)
   or 401 for an address outside the list; the callback REJECTED;
4. the verified callback is parsed (unreadable → 400, REJECTED) and applied by
   ``services.callback_apply`` (idempotent, monotonic): 200 with the verdict.

Nothing from a body, a header value or an order id is logged.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from amanah.audit import services as audit
from amanah.core import ratelimit
from amanah.core.actors import IntegrationActor
from amanah.core.errors import error_body
from amanah.core.permissions import SIGNED_REQUEST, is_declared
from amanah.integrations.models import ExternalSystem, SystemKey
from amanah.payments import gateways, services
from amanah.payments.models import Provider
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW

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
    """The gateway's system as an actor, or (None, why not)."""
    # One query for the system and whether it holds a usable key (asked on every callback).
    usable_key = SystemKey.objects.filter(
        system=OuterRef("pk"), revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    system = (
        ExternalSystem.objects.filter(name=system_name)
        .annotate(has_usable_key=Exists(usable_key))
        .first()
        if system_name
        else None
    )
    if system is None:
        return None, "no_integration"
    if not system.has_usable_key:
        return None, "no_usable_key"
    permissions = [p for p in system.permissions if is_declared(p)]
    if PAYMENT_CALLBACK_APPLY not in permissions or any(
        not p.startswith("payments.") for p in permissions
    ):
        return None, "grants_not_payment_only"
    if system.allowed_networks:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return None, "address_not_allowed"
        if not any(
            address in ipaddress.ip_network(n, strict=False) for n in system.allowed_networks
        ):
            return None, "address_not_allowed"
    actor = IntegrationActor(system.name, permissions=permissions, all_branches=system.all_branches)
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
    failure = callback = None
    # One commit for the raw callback, its verdict and what it applies (a commit is a WAL
    # flush: the raw row's own commit was a third of a callback's wait). The raw row is still
    # written first; the processing runs in a savepoint, released before the audit chain is
    # written (``audit.gathered`` outside it), so the chain's lock is held for the chain's
    # write and the commit alone. A processing failure rolls back to the savepoint and the raw
    # callback is committed without a verdict; a failure after the savepoint (the chain's
    # write) or at the commit (a deferred check) rolls the whole transaction back, and the raw
    # callback is then stored on its own (``callback_keep``). Either way the error then
    # reaches the gateway (a 500: it retries).
    try:
        with transaction.atomic():
            callback = services.callback_store(provider=provider, headers=headers, body=body)
            outcome = _check(request, provider, gateway, callback, body, readable)
            if isinstance(outcome, tuple):
                actor, notification = outcome
                released = False
                try:
                    with audit.gathered():
                        with transaction.atomic():
                            outcome = services.callback_apply(
                                actor=actor, callback=callback, notification=notification
                            )
                        released = True  # the processing now belongs to the outer transaction
                except Exception as error:  # noqa: BLE001 (re-raised below, after the commit)
                    failure = error
                    if released:  # the chain write failed: the change must not commit unaudited
                        transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 (re-raised below)
        failure = error
    if failure is not None:
        services.callback_keep(callback, provider=provider, headers=headers, body=body)
        raise failure
    if isinstance(outcome, Refusal):
        return outcome.response(request, provider)
    verdict, reason = outcome
    logger.info("%s payment callback: %s", provider.lower(), verdict)
    return JsonResponse({"verdict": verdict, "reason": reason})


class Refusal:
    """A callback refused before processing (stored REJECTED): the answer, given after the
    commit (the bad-signature rate limit counts in a statement of its own)."""

    def __init__(self, kind: str, why: str = ""):
        self.kind, self.why = kind, why

    def response(self, request, provider: str) -> JsonResponse:
        if self.kind == "bad_signature":
            return _refused(request, provider)
        if self.kind == "malformed":
            return _error("invalid_json", _("Isi callback tidak dapat dibaca."), 400)
        logger.warning("%s payment callback: integration refused (%s)", provider.lower(), self.why)
        if self.why == "address_not_allowed":
            return _error("unauthorized", _("Alamat pengirim tidak diizinkan."), 401)
        return _error("unavailable", _("Integrasi gateway belum siap."), 503)


def _check(request, provider, gateway, callback, body: bytes, readable: bool):
    """The stored callback checked in order (steps 2–4 of the module's docstring): its actor
    and notification, or a ``Refusal`` with the callback marked REJECTED."""
    if not readable:
        services.callback_reject(callback=callback, reason="malformed")
        return Refusal("malformed")
    try:
        document = gateway.verify(request.headers, body)
    except gateways.BadSignature:
        services.callback_reject(callback=callback, reason="bad_signature")
        return Refusal("bad_signature")
    except gateways.Malformed:  # the token was right (Xendit), the body unreadable
        services.callback_reject(callback=callback, reason="malformed")
        return Refusal("malformed")
    actor, why = integration_actor(gateway.system, request.META.get("REMOTE_ADDR"))
    if actor is None:
        services.callback_reject(callback=callback, reason=why)
        return Refusal("integration", why)
    try:
        notification = gateway.parse(document)
    except gateways.Malformed:
        services.callback_reject(callback=callback, reason="malformed")
        return Refusal("malformed")
    return actor, notification


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
