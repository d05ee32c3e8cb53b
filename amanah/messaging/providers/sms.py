"""SMS through a plain HTTP gateway, in the shape Indonesian SMS gateways commonly use.

Sending: ``POST {base_url}/messages`` with header ``X-Api-Key: <api_key>`` and JSON
``{"from": "<sender id>", "to": "+628…", "text": "…", "reference": "<our message id>"}``.
The gateway answers 2xx ``{"id": "<gateway id>", "status": "ACCEPTED"}``; a repeated
``reference`` returns the first message's id and is not sent again (the idempotency key).
Errors are ``{"error": {"code": "INVALID_NUMBER", "message": "…"}}``: 5xx, 429 and timeouts
are retried (``Retry-After`` honoured), connection refused or a rejected API key pauses the
provider (``ProviderUnavailable``), any other 4xx fails the message (``sms_<code>``).

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

import logging

import httpx

from amanah.messaging.channels import Channel
from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import (
    Accepted,
    DeliveryStatus,
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    ProviderUnavailable,
    StatusUpdate,
)
from amanah.messaging.providers.callbacks import MalformedWebhook, WebhookBatch

logger = logging.getLogger(__name__)

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

    def __init__(
        self, base_url: str, api_key: str, sender_id: str, secret: str = "", timeout: float = 10.0
    ):
        self.base_url = base_url.rstrip("/")
        self.sender_id = sender_id
        self.secret = secret
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"X-Api-Key": api_key},
        )

    def send(self, message: OutgoingMessage) -> Accepted:
        body = {
            "from": self.sender_id,
            "to": message.to,
            "text": message.text,
            "reference": message.message_id,
        }
        try:
            response = self._client.post(f"{self.base_url}/messages", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ProviderUnavailable("sms_unreachable") from exc
        except httpx.TimeoutException as exc:
            raise ProviderError("timeout", retryable=True) from exc
        except httpx.TransportError as exc:
            raise ProviderError("transport_error", retryable=True) from exc
        if response.is_success:
            return Accepted(_gateway_id(response))
        raise _error_for(response)

    def close(self) -> None:
        self._client.close()


def _gateway_id(response: httpx.Response) -> str:
    try:
        value = response.json()["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError("bad_response", retryable=True) from exc
    if callbacks.token(str(value)) is None:
        raise ProviderError("bad_response", retryable=True)
    return str(value)


def _error_for(response: httpx.Response) -> ProviderError:
    try:
        gateway_code = str(response.json()["error"]["code"])[:40]
    except (ValueError, KeyError, TypeError):
        gateway_code = ""
    code = f"sms_{gateway_code}" if gateway_code else f"http_{response.status_code}"
    retry_after = callbacks.retry_after_seconds(response.headers.get("Retry-After"))
    logger.warning("sms send refused: %s (HTTP %s)", code, response.status_code)
    if response.status_code in (401, 403):
        return ProviderUnavailable(code, retry_after=retry_after)
    retryable = response.status_code == 429 or response.status_code >= 500
    return ProviderError(code, retryable=retryable, retry_after=retry_after)


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
