from __future__ import annotations

import ipaddress
import uuid

from django.conf import settings

from amanah.core import context


def client_ip(request) -> str | None:
    """The caller's address; X-Forwarded-For only counts behind a declared TLS proxy.

    Only its *last* entry is taken: the one our proxy appended (the address it saw). Entries
    before it are whatever the client sent in its own X-Forwarded-For header, so trusting the
    first one would let any caller choose its address (an API key's IP allow-list, rate
    limits and the audit's address all depend on this)."""
    candidate = request.META.get("REMOTE_ADDR")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


class RequestContextMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and binds ip/agent for the audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        meta = context.RequestMeta(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            request_id=request.request_id,
        )
        with context.bound(meta):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
