"""The providers' callbacks: WhatsApp Cloud API and SMS gateway webhooks.

Deny by default still holds for a route nobody signs in to: the signature *is* the
permission. Each view is declared ``SIGNED_REQUEST`` and checks the HMAC of the raw body bytes
(constant time) before it parses anything; unsigned or badly signed requests answer 401 and
change nothing. Repeated bad signatures from one address are rate-limited (429). A verified
payload is parsed into ``StatusUpdate``/``InboundMessage`` values handed one by one to
``services.message_status_apply`` and ``services.inbound_receive`` (looked up at call time, so
the outbox owns what they do); items we cannot read are counted and skipped, never a 500.

Providers retry anything but a 2xx, so a duplicate callback must be harmless: the outbox
services treat a repeated status as a no-op. Nothing from a body is ever logged.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from amanah.core import ratelimit
from amanah.core.errors import error_body
from amanah.core.permissions import SIGNED_REQUEST
from amanah.messaging.channels import Channel
from amanah.messaging.providers import provider_for, sms, whatsapp
from amanah.messaging.providers.callbacks import MalformedWebhook, WebhookBatch

logger = logging.getLogger(__name__)


def signed_webhook(view):
    """Declares a provider webhook: signed by the caller, CSRF-exempt (no session), and left to
    check its own raw input (the signature first; ``core.inputs`` would parse before it)."""

    @csrf_exempt
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method not in ("GET", "POST"):
            return _error("method_not_allowed", _("Metode tidak diizinkan."), 405)
        return view(request, *args, **kwargs)

    guarded.required_permission = SIGNED_REQUEST
    guarded.verifies_own_input = True
    return guarded


@signed_webhook
def whatsapp_webhook(request):
    provider = _configured(Channel.WHATSAPP, whatsapp.WhatsAppCloudProvider)
    if provider is None:
        return _not_found()
    if request.method == "GET":
        answer = whatsapp.challenge_answer(provider.verify_token, request.GET)
        if answer is None:
            return _error("forbidden", _("Token verifikasi tidak cocok."), 403)
        return HttpResponse(answer, content_type="text/plain")
    signature = request.headers.get(whatsapp.SIGNATURE_HEADER)
    if not whatsapp.signature_valid(provider.app_secret, request.body, signature):
        return _refused(request, "whatsapp")
    return _handle(request.body, whatsapp.parse_webhook, "whatsapp")


@signed_webhook
def sms_webhook(request):
    provider = _configured(Channel.SMS, sms.HttpSmsProvider)
    if provider is None or request.method != "POST":
        return _not_found()
    signature = request.headers.get(sms.SIGNATURE_HEADER)
    if not sms.signature_valid(provider.secret, request.body, signature):
        return _refused(request, "sms")
    return _handle(request.body, sms.parse_webhook, "sms")


def _configured(channel: str, expected: type):
    """The configured adapter of that kind, or None: a webhook for a provider we do not use
    does not exist."""
    try:
        provider = provider_for(channel)
    except ImproperlyConfigured:
        return None
    return provider if isinstance(provider, expected) else None


def _handle(raw_body: bytes, parse, source: str) -> JsonResponse:
    try:
        batch: WebhookBatch = parse(json.loads(raw_body))
    except (ValueError, UnicodeDecodeError, RecursionError, MalformedWebhook):
        # Signed by the provider but unreadable: 400, nothing applied.
        logger.warning("%s webhook: signed but malformed payload", source)
        return _error("invalid_json", _("Isi webhook tidak dapat dibaca."), 400)
    from amanah.messaging import services  # at call time: the outbox owns these functions

    for update in batch.statuses:
        services.message_status_apply(update)
    for message in batch.inbound:
        services.inbound_receive(message)
    logger.info(
        "%s webhook: %d statuses, %d inbound, %d ignored",
        source,
        len(batch.statuses),
        len(batch.inbound),
        batch.ignored,
    )
    return JsonResponse(
        {"statuses": len(batch.statuses), "inbound": len(batch.inbound), "ignored": batch.ignored}
    )


def _refused(request, source: str) -> JsonResponse:
    """401 for a missing or wrong signature; 429 once one address keeps trying."""
    limit = getattr(settings, "MESSAGING_WEBHOOK_BAD_SIGNATURES_PER_MINUTE", 60)
    decision = ratelimit.hit(
        f"webhook-signature:{source}:{request.META.get('REMOTE_ADDR', '')}", limit=limit
    )
    logger.warning("%s webhook: missing or invalid signature refused", source)
    if not decision.allowed:
        response = _error("rate_limited", _("Terlalu banyak tanda tangan tidak sah."), 429)
        response["Retry-After"] = str(decision.retry_after)
        return response
    return _error("unauthorized", _("Tanda tangan tidak ada atau tidak sah."), 401)


def _not_found() -> JsonResponse:
    return _error("not_found", _("Webhook tidak ditemukan."), 404)


def _error(code: str, message, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)
