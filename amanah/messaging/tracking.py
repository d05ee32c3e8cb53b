"""Click and open tracking: signed redirect links and an email open pixel.

``tracked_url(message, url)`` and ``open_pixel_url(message)`` are for the renderer, which puts
them into the email it builds; the two public views below record the first click / first open
of a message (``Engagement``, unique per message and kind) and then redirect / answer a 1×1
GIF. The token is ``django.core.signing`` with a salt of its own: it names the message and, for
a click, the target, so nobody can make our domain redirect elsewhere (an open redirect) or
count clicks for a message they did not receive. A bad or tampered token answers 404; only
http(s) targets are ever signed or followed. Nothing identifying is logged.
"""

from __future__ import annotations

import base64
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from amanah.core.permissions import PUBLIC
from amanah.core.views import requires
from amanah.messaging.models import Engagement, EngagementKind, Message

SALT = "amanah.messaging.tracking"
# A 1×1 transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _absolute(path: str) -> str:
    """A link that works from a mail client: the deployment's public address in front
    (``PUBLIC_URL``, e.g. ``https://crm.bank.co.id``; empty in tests)."""
    return settings.PUBLIC_URL.rstrip("/") + path


def tracked_url(message: Message, url: str) -> str:
    """The link to put in the message instead of ``url`` (http/https only)."""
    if not _is_web_url(url):
        raise ValueError("only http(s) links are tracked")
    token = signing.dumps({"m": str(message.pk), "u": url}, salt=SALT, compress=True)
    return _absolute(reverse("messaging:track_click", args=[token]))


def open_pixel_url(message: Message) -> str:
    """The image URL to put at the end of an email's HTML part."""
    token = signing.dumps({"m": str(message.pk)}, salt=SALT)
    return _absolute(reverse("messaging:track_open", args=[token]))


def _payload(token: str) -> dict:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404 from None
    try:
        uuid.UUID(data["m"])
    except (TypeError, KeyError, ValueError, AttributeError):
        raise Http404 from None
    return data


def engagement_record(*, message_id: str, kind: str) -> bool:
    """Record the first ``kind`` for the message; True when this was the first. A second one
    (or an unknown message) changes nothing. System-side, no actor: the customer's own act."""
    if not Message.objects.filter(pk=message_id, customer__isnull=False).exists():
        return False
    try:
        with transaction.atomic():
            Engagement.objects.create(message_id=message_id, kind=kind)
    except IntegrityError:
        return False  # not the first: counted once
    return True


@requires(PUBLIC)
def click(request, token):
    data = _payload(token)
    url = data.get("u")
    if not isinstance(url, str) or not _is_web_url(url):
        raise Http404
    engagement_record(message_id=data["m"], kind=EngagementKind.CLICK)
    return HttpResponseRedirect(url)


@requires(PUBLIC)
def open_pixel(request, token):
    data = _payload(token)
    engagement_record(message_id=data["m"], kind=EngagementKind.OPEN)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response
