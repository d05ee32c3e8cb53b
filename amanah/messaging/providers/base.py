"""The provider interface: what the outbox hands an adapter, and what comes back.

An adapter sends one message at a time (``send``) and raises ``ProviderError`` when it could
not; ``retryable`` tells the outbox whether to try again with back-off (5xx, timeouts, 429) or
to mark the message FAILED (4xx: bad number, unknown template). ``ProviderUnavailable`` says
the provider as a whole is away: the outbox pauses that provider and resumes later, losing and
duplicating nothing. Webhook parsers turn a provider's callbacks into ``StatusUpdate`` and
``InboundMessage`` values for the outbox services.

The recipient address travels in clear only here, in memory, on its way to the provider; it
is never logged (nor is the body).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class DeliveryStatus:
    """Provider-reported states, in the order a message normally moves through them."""

    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"
    BOUNCED = "BOUNCED"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str  # the outbox row's id: the provider-side idempotency key
    channel: str
    to: str  # e-mail address, E.164 phone number, push subscription or user id
    subject: str = ""
    text: str = ""
    html: str = ""
    template: str = ""  # provider template name (WhatsApp)
    language: str = "id"
    parameters: tuple[str, ...] = ()  # positional template parameters ({{1}}, {{2}}, …)
    category: str = ""  # WhatsApp: MARKETING / UTILITY / AUTHENTICATION
    media_url: str = ""
    attachments: tuple[Attachment, ...] = field(default=())
    headers: tuple[tuple[str, str], ...] = ()  # EMAIL: extra headers (List-Unsubscribe …)


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; its own id links later status callbacks to it."""

    provider_message_id: str


class ProviderError(Exception):
    def __init__(self, code: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(code)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The provider is down or refusing everything: pause it, keep the messages."""

    def __init__(self, code: str = "provider_unavailable", *, retry_after: float | None = None):
        super().__init__(code, retryable=True, retry_after=retry_after)


class Provider(Protocol):
    name: str  # "smtp", "whatsapp-cloud", "sms-http", "in-app", "webpush"
    channel: str
    # Optional: True when ``send`` may run on several threads at once (it touches no database
    # connection and its client is thread-safe); the dispatcher then overlaps the calls.
    concurrent_sends: bool

    def send(self, message: OutgoingMessage) -> Accepted: ...


@dataclass(frozen=True)
class StatusUpdate:
    provider: str
    provider_message_id: str
    status: str  # a DeliveryStatus
    at: datetime  # the provider's timestamp (aware, UTC)
    event_id: str  # the provider's id for this callback, or a digest of (id, status, at)
    error_code: str = ""
    # Our outbox id when the provider echoes it back (WhatsApp biz_opaque_callback_data, the SMS
    # gateway's reference): matches the status even if the send's answer was lost (a timeout).
    message_id: str = ""


@dataclass(frozen=True)
class InboundMessage:
    provider: str
    channel: str
    from_address: str
    text: str
    at: datetime
    provider_message_id: str
