"""What the webhook-speaking adapters share: HMAC signatures over raw bytes, the parsed batch
a callback carries, and reading the small values providers send (epoch timestamps, phone
numbers, ids, Retry-After, customer text).

Signatures are ``sha256=<hex>`` of HMAC-SHA256(secret, raw body bytes), compared in constant
time. The body is verified exactly as received, before any parsing or decoding, so emoji and
accents (escaped or not) cannot break or bypass it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

from amanah.core.inputs import FORBIDDEN, MAX_VALUE_CHARS
from amanah.messaging.providers.base import InboundMessage, StatusUpdate

PREFIX = "sha256="
# Epoch seconds we accept: 2001-09-09 … 2286-11-20 (anything else is not a provider clock).
_EPOCH_MIN, _EPOCH_MAX = 1_000_000_000, 9_999_999_999


def sign(secret: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, raw_body), PREFIX + header[len(PREFIX) :].lower())


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets given as text."""
    return hmac.compare_digest(given.encode(), expected.encode())


def epoch_to_datetime(value) -> datetime | None:
    """``"1700000000"`` (or an int) → aware UTC datetime; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if not text.isascii() or not text.isdigit() or not _EPOCH_MIN <= int(text) <= _EPOCH_MAX:
        return None
    return datetime.fromtimestamp(int(text), tz=UTC)


def iso_to_datetime(value) -> datetime | None:
    """``"2026-11-23T05:00:00Z"`` → aware UTC datetime; None when unreadable or zone-less."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def event_digest(provider: str, provider_id: str, status: str, at: datetime) -> str:
    """A stable id for one callback when the provider gives none: the same status of the same
    message at the same time is the same event, however often it is posted."""
    key = f"{provider}|{provider_id}|{status}|{at.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def word(table: dict[str, str], value) -> str | None:
    """A provider's status word looked up safely: anything but a known string is None."""
    return table.get(value) if isinstance(value, str) else None


def problem_free(text: str) -> bool:
    """True when the text holds nothing the database cannot store."""
    return not FORBIDDEN.search(text) and len(text) <= MAX_VALUE_CHARS


def storable_text(text: str) -> str:
    """Customer text as we can store it: control characters dropped, overlong text cut."""
    return FORBIDDEN.sub("", text)[:MAX_VALUE_CHARS]


def retry_after_seconds(value: str | None) -> float | None:
    """The delta-seconds form of ``Retry-After`` (what APIs send); None otherwise."""
    if value and value.strip().isascii() and value.strip().isdigit():
        return float(min(int(value.strip()), 86_400))
    return None


def token(value, *, max_length: int = 200) -> str | None:
    """A provider id as we can store it (printable, bounded), or None."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length or FORBIDDEN.search(value):
        return None
    return value if value.isprintable() else None


def phone(value) -> str | None:
    """A sender's number (``628…`` or ``+628…``) as ``+628…``, or None when it is not one."""
    if not isinstance(value, str):
        return None
    digits = value.removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 15:
        return None
    return "+" + digits


@dataclass
class WebhookBatch:
    """What one verified webhook carried; ``ignored`` counts items we could not use."""

    statuses: list[StatusUpdate] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    ignored: int = 0


class MalformedWebhook(ValueError):
    """The payload is not the Cloud API's shape at all (the caller answers 400)."""
