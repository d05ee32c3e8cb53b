"""SMS through a plain HTTP gateway, in the shape Indonesian SMS gateways commonly use.

Sending: ``POST {base_url}/messages`` with header ``X-Api-Key: <api_key>`` and JSON
``{"from": "<sender id>", "to": "+628…", "text": "…", "reference": "<our message id>"}``.
The gateway answers 2xx ``{"id": "<gateway id>", "status": "ACCEPTED"}``; a repeated
``reference`` returns the first message's id and is not sent again (the idempotency key).
Errors are ``{"error": {"code": "INVALID_NUMBER", "message": "…"}}``, mapped by the shared
``providers.http`` transport: 5xx, 429 and read timeouts are retried (``Retry-After``
honoured), connection refused, a connect timeout or a rejected API key pauses the provider
(``ProviderUnavailable``), any other 4xx fails the message (``sms_<code>``).

Callbacks: the gateway POSTs to ``/webhooks/sms`` a JSON document, signed in the header
``X-Signature: sha256=<hex>`` = HMAC-SHA256(secret, raw body bytes)::

    {"events": [
      {"type": "dlr", "id": "<gateway id>", "reference": "<our id>",
       "status": "SENT|DELIVERED|UNDELIVERED|FAILED|REJECTED|EXPIRED",
       "error_code": "", "timestamp": "2026-11-23T05:00:00Z"},
      {"type": "mo", "id": "<gateway id>", "from": "+628…", "to": "<sender id>",
       "text": "STOP", "timestamp": "2026-11-23T05:01:00Z"}
    ]}

``dlr`` is a delivery report, ``mo`` a message from the customer (a STOP reply arrives as
one). Timestamps are ISO 8601 with their zone. The number and text are never logged.
"""

from __future__ import annotations

import httpx

from amanah.messaging.channels import Channel
from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import (
    Accepted,
    DeliveryStatus,
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    StatusUpdate,
)
from amanah.messaging.providers.callbacks import MalformedWebhook, WebhookBatch
from amanah.messaging.providers.http import HttpTransport

PROVIDER_NAME = "sms-http"
SIGNATURE_HEADER = "X-Signature"

STATUSES = {
    "SENT": DeliveryStatus.SENT,
    "DELIVERED": DeliveryStatus.DELIVERED,
    "UNDELIVERED": DeliveryStatus.FAILED,
    "FAILED": DeliveryStatus.FAILED,
    "REJECTED": DeliveryStatus.FAILED,
    "EXPIRED": DeliveryStatus.FAILED,
}

__all__ = ["HttpSmsProvider", "MalformedWebhook", "WebhookBatch", "parse_webhook"]


class HttpSmsProvider:
    name = PROVIDER_NAME
    channel = Channel.SMS
    concurrent_sends = True  # HTTP only, no database: the dispatcher may overlap calls

    def __init__(
        self, base_url: str, api_key: str, sender_id: str, secret: str = "", timeout: float = 10.0
    ):
        self.base_url = base_url.rstrip("/")
        self.sender_id = sender_id
        self.secret = secret
        self._http = HttpTransport(
            "sms", timeout=timeout, headers={"X-Api-Key": api_key}, error_code=_gateway_code
        )

    def send(self, message: OutgoingMessage) -> Accepted:
        body = {
            "from": self.sender_id,
            "to": message.to,
            "text": message.text,
            "reference": message.message_id,
        }
        response = self._http.post(f"{self.base_url}/messages", json=body)
        return Accepted(_gateway_id(response))

    def close(self) -> None:
        self._http.close()


def _gateway_id(response: httpx.Response) -> str:
    try:
        value = response.json()["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError("bad_response", retryable=True) from exc
    if callbacks.token(str(value)) is None:
        raise ProviderError("bad_response", retryable=True)
    return str(value)


def _gateway_code(response: httpx.Response) -> str | None:
    """The gateway's ``error.code`` (``INVALID_NUMBER`` …), or None."""
    try:
        return str(response.json()["error"]["code"])[:40] or None
    except (ValueError, KeyError, TypeError):
        return None


def signature_valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    return callbacks.valid(secret, raw_body, header)


def parse_webhook(document) -> WebhookBatch:
    """Delivery reports and inbound SMS of a verified callback; unreadable events are counted
    in ``ignored``; a document without an ``events`` list raises ``MalformedWebhook``."""
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise MalformedWebhook("events")
    batch = WebhookBatch()
    for event in document["events"]:
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "dlr":
            item = _status(event)
            target = batch.statuses
        elif kind == "mo":
            item = _inbound(event)
            target = batch.inbound
        else:
            item, target = None, []
        if item is None:
            batch.ignored += 1
        else:
            target.append(item)
    return batch


def _status(event: dict) -> StatusUpdate | None:
    status = callbacks.word(STATUSES, event.get("status"))
    gateway_id = callbacks.token(event.get("id"))
    at = callbacks.iso_to_datetime(event.get("timestamp"))
    if status is None or gateway_id is None or at is None:
        return None
    error_code = callbacks.token(event.get("error_code"), max_length=40) or ""
    return StatusUpdate(
        provider=PROVIDER_NAME,
        provider_message_id=gateway_id,
        status=status,
        at=at,
        event_id=callbacks.event_digest(PROVIDER_NAME, gateway_id, status, at),
        error_code=error_code,
        message_id=callbacks.token(event.get("reference")) or "",
    )


def _inbound(event: dict) -> InboundMessage | None:
    sender, gateway_id = callbacks.phone(event.get("from")), callbacks.token(event.get("id"))
    at = callbacks.iso_to_datetime(event.get("timestamp"))
    text = event.get("text")
    if sender is None or gateway_id is None or at is None or not isinstance(text, str):
        return None
    return InboundMessage(
        provider=PROVIDER_NAME,
        channel=Channel.SMS,
        from_address=sender,
        text=callbacks.storable_text(text),
        at=at,
        provider_message_id=gateway_id,
    )
