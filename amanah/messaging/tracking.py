"""Click and open tracking: signed redirect links and an email open pixel.

``tracked_url(message, url)`` and ``open_pixel_url(message)`` are for the renderer, which puts
them into the email it builds; the two public views below record the first click / first open
of a message (``Engagement``, unique per message and kind) and then redirect / answer a 1×1
GIF. The token is ``django.core.signing`` with a salt of its own: it names the message and, for
a click, the target, so nobody can make our domain redirect elsewhere (an open redirect) or
count clicks for a message they did not receive. A bad or tampered token answers 404; only
http(s) targets are ever signed or followed. Nothing identifying is logged.

``with_tracked_links(message, outgoing)`` is the rewrite dispatch applies just before a
message goes to its provider (so a template never has to know about tracking): in an
**offer** to a customer, every ``http(s)`` link goes through ``tracked_url`` —

* EMAIL: the ``href`` of each ``<a>`` in the HTML part and each URL in the text part;
* WHATSAPP: each URL in the template's body parameters and in the text (a signed link is
  ≈ 150 characters, well inside a parameter's limit; ``media_url`` is fetched by the
  provider, never rewritten);
* SMS: not rewritten — a signed link would double the segments (and the bill) of a 160-
  character message, and seed 001 §6C marks SMS clicks as not available anyway.

Never rewritten: our own links (the unsubscribe page ``/berhenti/…``, the click and open
links themselves — the footer and the pixel are added after the rewrite anyway), anything
that is not ``http(s)``, and links longer than ``MAX_TRACKED_URL``. Service, collection and
staff messages are left alone: only offers are measured by the channel analytics.
"""

from __future__ import annotations

import base64
import html as htmllib
import re
import uuid
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.permissions import PUBLIC
from amanah.core.views import requires
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import Engagement, EngagementKind, Message
from amanah.messaging.providers.base import OutgoingMessage

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


# --------------------------------------------------------------------------- the rewrite

MAX_TRACKED_URL = 2000
# A URL in plain text: up to whitespace, quotes or brackets; sentence punctuation after it
# ("… di https://bank.co.id/promo.") is left outside.
_URL_IN_TEXT = re.compile(r"""https?://[^\s<>"'()\[\]{}]+""", re.IGNORECASE)
_TRAILING = ".,;:!?"
# The href of an <a> element, quoted either way (our templates render escaped HTML).
_ANCHOR_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def _own_paths() -> tuple[str, ...]:
    """Path prefixes of our own links that must stay as they are."""
    return (
        reverse("messaging:track_click", args=["x"]).rsplit("/c/", 1)[0] + "/",
        reverse("consent:unsubscribe", args=["x"]).rsplit("x", 1)[0],
    )


def _trackable(url: str) -> bool:
    if len(url) > MAX_TRACKED_URL or not _is_web_url(url):
        return False
    return not urlsplit(url).path.startswith(_own_paths())


def _rewrite_text(message: Message, text: str) -> str:
    def swap(match: re.Match) -> str:
        url, tail = match.group(0), ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        return (tracked_url(message, url) if _trackable(url) else url) + tail

    return _URL_IN_TEXT.sub(swap, text) if text else text


def _rewrite_html(message: Message, html: str) -> str:
    def swap(match: re.Match) -> str:
        url = htmllib.unescape(match.group(3)).strip()
        if not _trackable(url):
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{htmllib.escape(tracked_url(message, url))}{quote}"

    return _ANCHOR_HREF.sub(swap, html) if html else html


def with_tracked_links(message: Message, outgoing: OutgoingMessage) -> OutgoingMessage:
    """``outgoing`` with its links going through ``tracked_url`` (the rules are the module's
    docstring); unchanged for anything but an offer to a customer by e-mail or WhatsApp."""
    if not message.customer_id or message.purpose != Purpose.OFFER:
        return outgoing
    if outgoing.channel == Channel.EMAIL:
        return replace(
            outgoing,
            html=_rewrite_html(message, outgoing.html),
            text=_rewrite_text(message, outgoing.text),
        )
    if outgoing.channel == Channel.WHATSAPP:
        return replace(
            outgoing,
            text=_rewrite_text(message, outgoing.text),
            parameters=tuple(
                _rewrite_text(message, p) if isinstance(p, str) else p for p in outgoing.parameters
            ),
        )
    return outgoing


# --------------------------------------------------------------------------- the public views


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


# (actor, customer_id, message_id, kind): the first open or click of a message (lead scoring's
# engagement signals follow it).
ENGAGEMENT_RECORDED = "messaging.engagement_recorded"
# An open or a click arrives from the customer's device: recorded by an actor that may do nothing
# else (the lead rescoring that follows needs no permission).
ENGAGEMENT_ACTOR = declare_actor("messaging-engagement", permissions=())


def engagement_record(*, message_id: str, kind: str) -> bool:
    """Record the first ``kind`` for the message; True when this was the first. A second one
    (or an unknown message) changes nothing. System-side, no actor: the customer's own act."""
    customer_id = (
        Message.objects.filter(pk=message_id, customer__isnull=False)
        .values_list("customer_id", flat=True)
        .first()
    )
    if customer_id is None:
        return False
    try:
        with transaction.atomic():
            Engagement.objects.create(message_id=message_id, kind=kind)
            events.emit(
                ENGAGEMENT_RECORDED,
                actor=ENGAGEMENT_ACTOR,
                customer_id=str(customer_id),
                message_id=str(message_id),
                kind=kind,
            )
    except IntegrityError:
        return False  # not the first: counted once
    return True


# ------------------------------------------------------------ unsubscribes and conversions

# How far back an unsubscribe without a message reference (a STOP reply) or a conversion
# looks for the offer it is counted against.
ATTRIBUTION_WINDOW = timedelta(days=30)


def _offers_to(customer_id, channel: str | None, at) -> QuerySet:
    rows = Message.objects.filter(
        customer_id=customer_id,
        purpose=Purpose.OFFER,
        sent_at__isnull=False,
        sent_at__gt=at - ATTRIBUTION_WINDOW,
        sent_at__lte=at,
    )
    return rows.filter(channel=channel) if channel else rows


def unsubscribe_recorded(*, actor, customer, record, channel: str, ref: str = "", **_) -> None:
    """``consent.channel_opted_out``: the customer withdrew offers on ``channel`` themselves.

    Counted (``UNSUBSCRIBE``) against the message that carried the link — ``ref`` is its id,
    put into the link by dispatch, taken only when it is an offer to this customer on this
    channel — or, for a STOP reply (no ``ref``), against the last offer sent to the customer on
    that channel within ``ATTRIBUTION_WINDOW`` (the one the reply most likely answers). No such
    message: nothing to count. Runs in consent's transaction."""
    at = record.effective_at or timezone.now()
    message = None
    if ref:
        try:
            message = (
                Message.objects.filter(
                    pk=uuid.UUID(ref), customer=customer, channel=channel, purpose=Purpose.OFFER
                )
                .only("pk")
                .first()
            )
        except ValueError:
            message = None
    if message is None:
        message = _offers_to(customer.pk, channel, at).order_by("-sent_at").only("pk").first()
    if message is not None:
        engagement_record(message_id=message.pk, kind=EngagementKind.UNSUBSCRIBE)


def conversion_record(*, customer_id, at=None) -> bool:
    """A conversion of ``customer_id`` at ``at`` (now): what an app above messaging calls when
    its own event says the customer took up an offer (sales: a lead or an opportunity closed
    WON). Counted (``CONVERT``) against the offer that most plausibly led to it, last touch
    within ``ATTRIBUTION_WINDOW``: the last one the customer clicked, else the last one sent
    (any channel: an SMS converts without a click to observe). True when this counted a
    conversion; False when there was no offer in the window or that one had converted before.
    """
    at = at or timezone.now()
    message = (
        _offers_to(customer_id, None, at)
        .annotate(
            clicked=Exists(
                Engagement.objects.filter(message=OuterRef("pk"), kind=EngagementKind.CLICK)
            )
        )
        .order_by("-clicked", "-sent_at", "-pk")
        .only("pk")
        .first()
    )
    if message is None:
        return False
    return engagement_record(message_id=message.pk, kind=EngagementKind.CONVERT)


# --------------------------------------------------------------------------- the public views


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
