"""The customer's own way out: the signed unsubscribe link of an email and the STOP reply.

* :func:`unsubscribe_token` / :func:`read_unsubscribe_token` — a signed (``django.core.signing``,
  salted) token naming a customer and a channel, and optionally a ``ref`` — an opaque
  reference of the sender's (messaging puts the id of the message that carried the link, so
  the unsubscribe is counted against it; consent never reads it). It never expires: an old
  newsletter's link must still work. It carries no secret of the customer (random ids only)
  and cannot be forged without ``SECRET_KEY``.
* :func:`unsubscribe_url` and :func:`unsubscribe_headers` — the link for email templates and
  the ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058 one-click POST).
* :func:`is_stop_reply` — whether an inbound WhatsApp/SMS text asks to stop; the messaging
  inbound path then calls ``consent.services.consent_withdraw_by_reply``.

The page itself is ``consent.views.unsubscribe`` at ``/berhenti/<token>``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from amanah.consent.models import ContactChannel

SALT = "amanah.consent.unsubscribe"
# Tokens are up to ≈ 190 characters (two UUIDs with a ref); anything much longer is not ours.
MAX_TOKEN_LENGTH = 300
MAX_REF_LENGTH = 64


@dataclass(frozen=True)
class UnsubscribeRequest:
    customer_id: uuid.UUID
    channel: str
    ref: str = ""


def unsubscribe_token(customer, channel: str, ref: str = "") -> str:
    if channel not in ContactChannel.values:
        raise ValueError(f"unknown contact channel {channel!r}")
    if len(ref) > MAX_REF_LENGTH:
        raise ValueError("ref too long")
    data = {"c": str(customer.pk), "ch": channel, **({"r": ref} if ref else {})}
    return signing.dumps(data, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> UnsubscribeRequest | None:
    """The request a token stands for, or None for anything we did not sign."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = signing.loads(token, salt=SALT)
        request = UnsubscribeRequest(uuid.UUID(data["c"]), data["ch"], str(data.get("r", "")))
    except (signing.BadSignature, ValueError, KeyError, TypeError, AttributeError):
        return None
    if request.channel not in ContactChannel.values:
        return None
    return request


def unsubscribe_url(customer, channel: str, ref: str = "") -> str:
    """The absolute link for an email's footer (``settings.PUBLIC_URL``); ``ref`` comes back
    with the event ``consent.channel_opted_out`` when the customer uses the link."""
    path = reverse("consent:unsubscribe", args=[unsubscribe_token(customer, channel, ref)])
    return settings.PUBLIC_URL + path


def unsubscribe_headers(
    customer, channel: str = ContactChannel.EMAIL, ref: str = "", *, url: str = ""
) -> dict[str, str]:
    """Headers that let a mail client unsubscribe in one click (RFC 2369 and RFC 8058): it
    POSTs ``List-Unsubscribe=One-Click`` to the link, which withdraws at once. ``url``: the
    link already put in the message's footer (a link signed a second later differs)."""
    return {
        "List-Unsubscribe": f"<{url or unsubscribe_url(customer, channel, ref)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Words customers use to stop promotions (Indonesian operators' UNREG/STOP conventions),
# alone or followed by what to stop ("stop promo", "berhenti langganan").
# ("batal" is left out on purpose: it also cancels an appointment or a transaction.)
_STOP_WORDS = "stop|berhenti|unreg|unsubscribe|hentikan"
_STOP_OBJECTS = "promo|promosi|iklan|pesan|langganan|berlangganan|info|all|semua"
_STOP_REPLY = re.compile(rf"^(?:{_STOP_WORDS})(?:\s+(?:{_STOP_OBJECTS}))?$")


def is_stop_reply(text: str) -> bool:
    """Whether ``text`` is a STOP reply: a stop word alone or with its object ("STOP",
    " berhenti ", "Stop Promo", "UNREG"), case and spacing ignored. A longer message that
    merely mentions stopping ("jangan stop kartu saya") is not one: it goes to a person."""
    if not isinstance(text, str):
        return False
    words = " ".join(text.casefold().replace(".", " ").replace("!", " ").split())
    return bool(_STOP_REPLY.match(words))
