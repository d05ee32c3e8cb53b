"""WhatsApp through the WhatsApp Business Cloud API (Meta's Graph API), and its webhooks.

Sending: ``POST {base_url}/{version}/{phone_number_id}/messages`` with a Bearer token.

- A message with a ``template`` is a *template message*: the approved template's name and
  language, a header component carrying the media (``media_url``: an image, or a document when
  the URL ends in ``.pdf``) or the header text's parameter, a body component with the
  positional parameters ``{{1}}``, ``{{2}}``, … in order, and a ``button`` component (sub type
  ``url``, its index) per URL button with a variable suffix. The outbox row's ``parameters``
  hold the body's values as strings and the header's and buttons' as
  ``{"component": "header" | "button", …}`` items (``messaging.whatsapp_design``).
- An attachment (bytes: the case receipt PDF) without a ``media_url`` is uploaded first
  (``POST …/{phone_number_id}/media``) and the header names the returned media id.
- A message without a ``template`` is *free text* (``type: "text"``). WhatsApp only allows that
  inside the 24-hour customer service window (the customer wrote to us in the last 24 hours);
  outside it the Cloud API refuses (error 131047). The dispatcher decides: it leaves
  ``template`` empty only for a reply inside the window, and sends a template otherwise.

Our outbox id travels as ``biz_opaque_callback_data``; the Cloud API echoes it in the status
webhooks and the loopback fake provider dedupes on it, so a retried send is delivered once.

Faults (mapped by the shared ``providers.http`` transport, as for SMS): connection refused, a
connect timeout or an expired/invalid token → ``ProviderUnavailable`` (the outbox pauses
WhatsApp and loses nothing); 5xx, read timeouts, 429 and Meta's throttling codes →
``ProviderError(retryable=True)`` with ``Retry-After`` when given; 131047 (re-engagement:
outside the service window) → ``outside_service_window``, permanent; any other 4xx (131026
undeliverable, 132001 template missing, …) → ``ProviderError(retryable=False)``. Error codes
read ``whatsapp_<meta code>`` (e.g. ``whatsapp_132001``) or ``http_<status>``.

Webhooks: ``signature_valid`` checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with
the app secret) and ``parse_webhook`` turns a verified payload into ``StatusUpdate`` and
``InboundMessage`` values. Neither the recipient nor the text is ever logged.
"""

from __future__ import annotations

import httpx

from amanah.messaging.channels import Channel
from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import (
    Accepted,
    Attachment,
    DeliveryStatus,
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    StatusUpdate,
)
from amanah.messaging.providers.callbacks import MalformedWebhook, WebhookBatch
from amanah.messaging.providers.http import HttpTransport

PROVIDER_NAME = "whatsapp-cloud"
GRAPH_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"

# Meta's codes that mean "slow down / try later" even when the HTTP status is 4xx.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
# Codes that mean our credentials are wrong or expired: every send would fail the same way, so
# the provider pauses instead of failing the whole queue message by message.
CREDENTIAL_CODES = frozenset({0, 10, 190, 200})
# Re-engagement message: free text outside the 24-hour customer service window. The Cloud API
# reports it in a ``failed`` status webhook (sometimes straight in the answer); either way it
# becomes our own permanent code, the one the dispatcher uses when it refuses such a message.
REENGAGEMENT_CODE = 131047
OUTSIDE_SERVICE_WINDOW = "outside_service_window"
PERMANENT_CODES = {REENGAGEMENT_CODE: OUTSIDE_SERVICE_WINDOW}
WEBHOOK_ERROR_CODES = {str(code): ours for code, ours in PERMANENT_CODES.items()}

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


class WhatsAppCloudProvider:
    name = PROVIDER_NAME
    channel = Channel.WHATSAPP
    concurrent_sends = True  # HTTP only, no database: the dispatcher may overlap calls

    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        access_token: str,
        app_secret: str = "",
        verify_token: str = "",
        timeout: float = 10.0,
        version: str = GRAPH_VERSION,
    ):
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.version = version
        self._http = HttpTransport(
            "whatsapp",
            timeout=timeout,
            headers={"Authorization": f"Bearer {access_token}"},
            error_code=_meta_error_code,
            retryable_codes=RETRYABLE_CODES,
            credential_codes=CREDENTIAL_CODES,
            permanent_codes=PERMANENT_CODES,
        )

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.version}/{self.phone_number_id}/messages"

    @property
    def media_url(self) -> str:
        return f"{self.base_url}/{self.version}/{self.phone_number_id}/media"

    def send(self, message: OutgoingMessage) -> Accepted:
        media_id = ""
        if message.template and message.attachments and not message.media_url:
            media_id = self._upload(message.attachments[0])
        response = self._post(self.messages_url, json=request_body(message, media_id=media_id))
        return Accepted(_response_id(response, "messages", 0, "id"))

    def _upload(self, attachment: Attachment) -> str:
        """An attachment (the case receipt PDF) goes up first; the template header names it."""
        response = self._post(
            self.media_url,
            data={"messaging_product": "whatsapp", "type": attachment.mimetype},
            files={"file": (attachment.filename, attachment.content, attachment.mimetype)},
        )
        return _response_id(response, "id")

    def _post(self, url: str, **request) -> httpx.Response:
        # A timeout may hide an accepted message: the retry carries the same
        # biz_opaque_callback_data, so it is delivered once.
        return self._http.post(url, **request)

    def close(self) -> None:
        self._http.close()


def request_body(message: OutgoingMessage, *, media_id: str = "") -> dict:
    """The Cloud API's JSON for one message: a template, or free text inside the window.
    ``media_id`` is an uploaded attachment for the template's header."""
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.to.removeprefix("+"),
        "biz_opaque_callback_data": message.message_id,
    }
    if not message.template:
        body["type"] = "text"
        body["text"] = {"preview_url": False, "body": message.text}
        return body
    body_values = [value for value in message.parameters if isinstance(value, str)]
    extra = [value for value in message.parameters if isinstance(value, dict)]
    header = [{"type": "text", "text": e["text"]} for e in extra if e.get("component") == "header"]
    components = []
    if message.media_url:
        components.append({"type": "header", "parameters": [_media(message.media_url)]})
    elif media_id:
        attachment = message.attachments[0]
        components.append({"type": "header", "parameters": [_uploaded(attachment, media_id)]})
    elif header:
        components.append({"type": "header", "parameters": header})
    if body_values:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in body_values],
            }
        )
    components.extend(_button(e) for e in extra if e.get("component") == "button")
    body["type"] = "template"
    body["template"] = {
        "name": message.template,
        "language": {"code": message.language},
        "components": components,
    }
    return body


def _button(item: dict) -> dict:
    """A URL button's variable suffix (the fixed part of the link is registered at Meta)."""
    return {
        "type": "button",
        "sub_type": item.get("sub_type", "url"),
        "index": str(item.get("index", 0)),
        "parameters": [{"type": "text", "text": item["text"]}],
    }


def _media(url: str) -> dict:
    path = url.split("?", 1)[0]
    if path.lower().endswith(".pdf"):
        return {"type": "document", "document": {"link": url, "filename": path.rsplit("/", 1)[-1]}}
    return {"type": "image", "image": {"link": url}}


def _uploaded(attachment: Attachment, media_id: str) -> dict:
    if attachment.mimetype.startswith("image/"):
        return {"type": "image", "image": {"id": media_id}}
    return {"type": "document", "document": {"id": media_id, "filename": attachment.filename}}


def _response_id(response: httpx.Response, *path) -> str:
    """The id at ``path`` in the JSON answer (``messages[0].id``, or ``id`` for an upload)."""
    try:
        value = response.json()
        for step in path:
            value = value[step]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        # Accepted or not, we cannot tell: retry, the idempotency key keeps it single.
        raise ProviderError("bad_response", retryable=True) from exc
    if callbacks.token(value) is None:
        raise ProviderError("bad_response", retryable=True)
    return value


def _meta_error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, int) else None


# --- webhooks ---------------------------------------------------------------------------------


def signature_valid(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` over the raw body bytes, as Meta signs it."""
    return callbacks.valid(app_secret, raw_body, header)


def challenge_answer(verify_token: str, params) -> str | None:
    """The ``hub.challenge`` to echo when Meta verifies the endpoint, or None to refuse."""
    if (
        verify_token
        and params.get("hub.mode") == "subscribe"
        and callbacks.same(params.get("hub.verify_token", ""), verify_token)
    ):
        return params.get("hub.challenge", "")
    return None


def parse_webhook(document) -> WebhookBatch:
    """``entry[].changes[].value.statuses[]`` and ``.messages[]`` of a verified payload.

    An item we cannot read (an unknown status, a missing id, a bad timestamp) is counted in
    ``ignored`` and skipped; only a payload that is not the expected shape at all raises.
    """
    if not isinstance(document, dict) or not isinstance(document.get("entry"), list):
        raise MalformedWebhook("entry")
    batch = WebhookBatch()
    for entry in document["entry"]:
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                batch.ignored += 1
                continue
            for item in _list(value, "statuses"):
                _add(batch.statuses, batch, _status(item))
            for item in _list(value, "messages"):
                _add(batch.inbound, batch, _inbound(item))
    return batch


def _list(container, key: str) -> list:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, list) else []


def _add(target: list, batch: WebhookBatch, item) -> None:
    if item is None:
        batch.ignored += 1
    else:
        target.append(item)


def _status(item) -> StatusUpdate | None:
    if not isinstance(item, dict):
        return None
    status = callbacks.word(STATUSES, item.get("status"))
    provider_id = callbacks.token(item.get("id"))
    at = callbacks.epoch_to_datetime(item.get("timestamp"))
    if status is None or provider_id is None or at is None:
        return None
    errors = item.get("errors")
    error_code = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        meta_code = str(errors[0].get("code", ""))[:40]
        error_code = WEBHOOK_ERROR_CODES.get(meta_code, meta_code)
    return StatusUpdate(
        provider=PROVIDER_NAME,
        provider_message_id=provider_id,
        status=status,
        at=at,
        event_id=callbacks.event_digest(PROVIDER_NAME, provider_id, status, at),
        error_code=error_code,
        message_id=callbacks.token(item.get("biz_opaque_callback_data")) or "",
    )


def _inbound(item) -> InboundMessage | None:
    if not isinstance(item, dict):
        return None
    sender, provider_id = callbacks.phone(item.get("from")), callbacks.token(item.get("id"))
    at = callbacks.epoch_to_datetime(item.get("timestamp"))
    if sender is None or provider_id is None or at is None:
        return None
    return InboundMessage(
        provider=PROVIDER_NAME,
        channel=Channel.WHATSAPP,
        from_address=sender,
        text=callbacks.storable_text(_inbound_text(item)),
        at=at,
        provider_message_id=provider_id,
    )


def _inbound_text(item: dict) -> str:
    """Text, a quick-reply button's text, an interactive reply's title or a media caption;
    anything else (a sticker, a location) arrives as an empty text: the customer still wrote."""
    kind = item.get("type")
    part = item.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return ""
    if kind == "text":
        return _str(part.get("body"))
    if kind == "button":
        return _str(part.get("text"))
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return _str(reply.get("title")) if isinstance(reply, dict) else ""
    return _str(part.get("caption"))


def _str(value) -> str:
    return value if isinstance(value, str) else ""
