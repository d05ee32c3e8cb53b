"""A loopback stand-in for the WhatsApp Cloud API and the HTTP SMS gateway.

It speaks the real request and response shapes (see ``providers/whatsapp.py`` and
``providers/sms.py``), checks requests the way the real services do (the Bearer token or API
key, required fields, the template among its configured ones, the number of template
parameters), answers with the real error JSON, and dedupes on our idempotency key
(``biz_opaque_callback_data`` for WhatsApp, ``reference`` for SMS): a re-sent message gets the
first answer again and is not delivered twice.

Each accepted message is followed by signed status webhooks posted to the configured URL
(WhatsApp: sent → delivered → read; SMS: SENT → DELIVERED), from one background thread so
their order is what the controls say:

- ``delay``: seconds to wait before each webhook;
- ``duplicate``: post every webhook twice;
- ``reorder``: post a message's webhooks newest first;
- ``fail_next(n, status=503)``: the next n send calls answer 5xx (or 429 with Retry-After);
- ``fail_number(number)``: sends to that number fail permanently (4xx, 131026), or with
  ``via_webhook=True`` are accepted and then reported ``failed``, as WhatsApp does;
- ``outage()`` / ``restore()``: refuse connections (the port is closed), then reopen it;
- ``delay_next(seconds, n=1)``: the next n requests are handled, then answered late (a client
  with a shorter read timeout gives up although the message was accepted);
- ``reset_next(n=1)``: the next n requests are read and the connection reset (TCP RST), no
  answer;
- the **24-hour customer service window**, as the Cloud API enforces it: free text
  (``type: "text"``) to a number that has not written in the last 24 hours
  (``send_inbound_whatsapp`` or ``customer_wrote(number, at=…)`` open it) is accepted and then
  reported ``failed`` with error 131047 "Re-engagement message" — or refused straight away
  with that error when ``service_window_refusal = "answer"``; ``service_window = False``
  turns the rule off. Template messages are always allowed.

``received`` records every request (for assertions, in memory only; ``max_recorded`` bounds it
for long runs); the server never logs a request line, a number or a body. One thread posts the
webhooks, so the order controls mean something; a benchmark that only measures sending can
leave the webhook URLs empty.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

import httpx

from amanah.core.loopback import KeepAliveHandler, LoopbackServer
from amanah.messaging.fakeprovider.environment import (  # the fake's own credentials
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    SMS_API_KEY,
    SMS_SECRET,
    SMS_SENDER_ID,
)
from amanah.messaging.providers import callbacks

WHATSAPP_PATH_PREFIX = "/v"
SMS_PATH = "/sms/messages"
MAX_BODY_BYTES = 1_000_000
SERVICE_WINDOW_SECONDS = 24 * 3600
REENGAGEMENT = 131047
ERROR_TITLES = {
    REENGAGEMENT: "Re-engagement message",
    131026: "Message undeliverable",
}


@dataclass(frozen=True)
class Received:
    """One request the fake received: which API, whether it was accepted, and its JSON."""

    api: str  # "whatsapp" | "sms"
    path: str
    body: dict | None
    status: int  # what the fake answered
    duplicate: bool = False  # the idempotency key had been seen: not delivered again


@dataclass(frozen=True)
class Posted:
    """One webhook the fake posted (or tried to): where, what, and what came back."""

    api: str
    provider_message_id: str
    status: str  # the provider's status word, or "inbound"
    response_status: int  # 0 when the post did not reach the server


class _Refused(Exception):
    def __init__(self, status: int, body: dict, headers: Mapping[str, str] | None = None):
        self.status, self.body, self.headers = status, body, dict(headers or {})


class FakeProvider(LoopbackServer):
    """Start with ``start()`` (or ``with FakeProvider(...) as fake:``); ``url`` is its base."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str = ACCESS_TOKEN,
        phone_number_id: str = PHONE_NUMBER_ID,
        app_secret: str = APP_SECRET,
        templates: Mapping[str, int | None] | Iterable[str] | None = None,
        sms_api_key: str = SMS_API_KEY,
        sms_sender_id: str = SMS_SENDER_ID,
        sms_secret: str = SMS_SECRET,
        whatsapp_webhook_url: str = "",
        sms_webhook_url: str = "",
        read_receipts: bool = True,
        max_recorded: int | None = None,
    ):
        super().__init__(host=host, port=port)
        self.handler = _Handler
        self.access_token, self.phone_number_id, self.app_secret = (
            access_token,
            phone_number_id,
            app_secret,
        )
        # None: any template name is accepted; otherwise name → parameter count (None: any).
        if templates is None or isinstance(templates, Mapping):
            self.templates = dict(templates) if templates is not None else None
        else:
            self.templates = dict.fromkeys(templates)
        self.sms_api_key, self.sms_sender_id, self.sms_secret = (
            sms_api_key,
            sms_sender_id,
            sms_secret,
        )
        self.whatsapp_webhook_url, self.sms_webhook_url = whatsapp_webhook_url, sms_webhook_url
        self.read_receipts = read_receipts
        # Controls (see the module docstring); change them at any time.
        self.delay = 0.0
        self.duplicate = False
        self.reorder = False
        self._fail_next: list[int] = []
        self._failing_numbers: dict[str, tuple[int, bool]] = {}
        self._misbehave: list[float | str] = []  # per request: a delay in seconds, or "reset"
        self.service_window = True
        self.service_window_refusal = "webhook"  # or "answer"
        self._last_inbound: dict[str, float] = {}  # number (digits) → epoch of its last message
        # State.
        self._lock = threading.Lock()
        # Only the newest ``max_recorded`` requests/webhooks are kept (a long demo or a benchmark
        # run would otherwise hold every body); None keeps all, as tests want.
        self._received: deque[Received] = deque(maxlen=max_recorded)
        self._posted: deque[Posted] = deque(maxlen=max_recorded)
        self._by_key: dict[tuple[str, str], str] = {}  # (api, idempotency key) → provider id
        self._media: dict[str, str] = {}  # uploaded media id → file name
        self._webhooks: queue.Queue = queue.Queue()
        self._poster: threading.Thread | None = None
        # Generous: the receiving server may share two busy cores with the whole test suite.
        self._client = httpx.Client(timeout=httpx.Timeout(30.0))

    # --- lifecycle (LoopbackServer serves the HTTP side) ---------------------------------

    def on_start(self) -> None:
        self._poster = threading.Thread(target=self._post_webhooks, daemon=True)
        self._poster.start()

    def on_stop(self) -> None:
        if self._poster is not None:
            self._webhooks.put(None)
            self._poster.join(timeout=10)
            self._poster = None
        self._client.close()

    # --- controls ----------------------------------------------------------------------------

    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self._lock:
            self._fail_next.extend([status] * count)

    def fail_number(self, number: str, *, code: int = 131026, via_webhook: bool = False) -> None:
        with self._lock:
            self._failing_numbers[_digits(number)] = (code, via_webhook)

    def delay_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._misbehave.extend([float(seconds)] * count)

    def reset_next(self, count: int = 1) -> None:
        with self._lock:
            self._misbehave.extend(["reset"] * count)

    def take_misbehaviour(self) -> float | str | None:
        """What the handler must do to the request it just read (None: behave)."""
        with self._lock:
            return self._misbehave.pop(0) if self._misbehave else None

    def customer_wrote(self, number: str, *, at: float | None = None) -> None:
        """The customer behind ``number`` wrote at ``at`` (epoch seconds; now by default):
        free text may go to them for 24 hours from then."""
        with self._lock:
            self._last_inbound[_digits(number)] = time.time() if at is None else at

    def in_service_window(self, number: str) -> bool:
        with self._lock:
            wrote = self._last_inbound.get(_digits(number))
        return wrote is not None and time.time() - wrote < SERVICE_WINDOW_SECONDS

    def outage(self) -> None:
        """Refuse connections until ``restore()``."""
        self._close_listener()

    def restore(self) -> None:
        self._listen()

    # --- what happened -----------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def posted(self) -> list[Posted]:
        with self._lock:
            return list(self._posted)

    def delivered(self, api: str) -> list[Received]:
        """Requests that were accepted and delivered (each message once, retries excluded)."""
        return [r for r in self.received if r.api == api and r.status < 300 and not r.duplicate]

    def wait_for_webhooks(self, timeout: float = 60.0) -> None:
        """Block until every queued webhook has been posted (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        while self._webhooks.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._webhooks.unfinished_tasks:
            raise TimeoutError("webhooks still pending")

    # --- a customer writes to us -------------------------------------------------------------

    def send_inbound_whatsapp(self, sender: str, text: str, *, name: str = "Pelanggan") -> str:
        """Queue a signed webhook carrying a text message from ``sender``; returns its id."""
        message_id = _wamid()
        self.customer_wrote(sender)
        message = {
            "from": _digits(sender),
            "id": message_id,
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": text},
        }
        value = self._wa_value()
        value["contacts"] = [{"profile": {"name": name}, "wa_id": _digits(sender)}]
        value["messages"] = [message]
        self._queue([("whatsapp", message_id, "inbound", self._wa_document(value))])
        return message_id

    def send_inbound_sms(self, sender: str, text: str) -> str:
        message_id = "mo-" + uuid.uuid4().hex
        event = {
            "type": "mo",
            "id": message_id,
            "from": "+" + _digits(sender),
            "to": self.sms_sender_id,
            "text": text,
            "timestamp": _iso(time.time()),
        }
        self._queue([("sms", message_id, "inbound", {"events": [event]})])
        return message_id

    # --- requests (called by the handler thread) ----------------------------------------------

    def handle(self, path: str, headers, raw: bytes) -> tuple[int, dict, dict]:
        api = "sms" if path == SMS_PATH else "whatsapp"
        body, endpoint = None, "messages"
        try:
            if api == "sms":
                self._check_sms_auth(headers)
            else:
                endpoint = self._check_whatsapp_auth(path, headers)
            self._check_failure_injection(api)
            if api == "sms":
                body = _json(raw, _sms_error(400, "INVALID_REQUEST", "Invalid JSON"))
                status, answer, duplicate = self._sms(body)
            elif endpoint == "media":
                body, answer = self._upload(headers, raw)
                status, duplicate = 200, False
            else:
                body = _json(raw, _wa_error(400, 100, "(#100) Invalid parameter"))
                status, answer, duplicate = self._whatsapp(body)
        except _Refused as refused:
            self._record(Received(api, path, body, refused.status))
            return refused.status, refused.body, refused.headers
        self._record(Received(api, path, body, status, duplicate))
        return status, answer, {}

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def _check_whatsapp_auth(self, path: str, headers) -> str:
        """The endpoint asked for ("messages" or "media") once the path and token are right."""
        version, _, rest = path.removeprefix(WHATSAPP_PATH_PREFIX).partition("/")
        number_id, _, endpoint = rest.partition("/")
        if (
            number_id != self.phone_number_id
            or endpoint not in ("messages", "media")
            or not version.replace(".", "").isdigit()
        ):
            raise _wa_error(400, 100, "Unsupported post request. Object does not exist.")
        if headers.get("Authorization", "") != f"Bearer {self.access_token}":
            raise _wa_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        return endpoint

    def _upload(self, headers, raw: bytes) -> tuple[dict, dict]:
        """A media upload (multipart: messaging_product, type, file) → its media id."""
        fields = _multipart(headers.get("Content-Type", ""), raw)
        filename, content = fields.get("file", (None, b""))
        if fields.get("messaging_product", (None, b""))[1] != b"whatsapp" or not content:
            raise _wa_error(400, 100, "(#100) The parameter file is required.")
        media_id = uuid.uuid4().hex
        mimetype = fields.get("type", (None, b""))[1].decode(errors="replace")
        with self._lock:
            self._media[media_id] = filename or ""
        return {"type": mimetype, "filename": filename, "size": len(content)}, {"id": media_id}

    def _check_failure_injection(self, api: str) -> None:
        with self._lock:
            status = self._fail_next.pop(0) if self._fail_next else None
        if status is None:
            return
        if api == "sms":
            code = "RATE_LIMITED" if status == 429 else "SERVICE_UNAVAILABLE"
            raise _sms_error(status, code, "Try again later", retry_after=1)
        if status == 429:
            raise _wa_error(429, 130429, "(#130429) Rate limit hit", retry_after=1)
        raise _wa_error(status, 2 if status == 503 else 1, "Service temporarily unavailable")

    def _whatsapp(self, body: dict) -> tuple[int, dict, bool]:
        if body.get("messaging_product") != "whatsapp":
            raise _wa_error(400, 100, "The parameter messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or callbacks.phone(to) is None:
            raise _wa_error(400, 131009, "(#131009) Parameter value is not valid")
        kind = body.get("type")
        if kind == "template":
            self._check_template(body.get("template"))
        elif kind == "text":
            text = body.get("text")
            if not isinstance(text, dict) or not isinstance(text.get("body"), str):
                raise _wa_error(400, 100, "The parameter text['body'] is required.")
            if not text["body"] or len(text["body"]) > 4096:
                raise _wa_error(400, 131009, "(#131009) Parameter value is not valid")
        else:
            raise _wa_error(400, 131009, "(#131009) Parameter value is not valid")
        failing = self._failing_numbers.get(_digits(to))
        if failing and not failing[1]:
            raise _wa_error(400, failing[0], f"(#{failing[0]}) Message Undeliverable.")
        if kind == "text" and self.service_window and not self.in_service_window(to):
            if self.service_window_refusal == "answer":
                title = f"(#{REENGAGEMENT}) {ERROR_TITLES[REENGAGEMENT]}"
                raise _wa_error(400, REENGAGEMENT, title)
            failing = (REENGAGEMENT, True)
        key = body.get("biz_opaque_callback_data")
        wamid, duplicate = self._accept("whatsapp", key if isinstance(key, str) else "", _wamid)
        if not duplicate:
            self._queue_statuses(wamid, body, failing)
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": _digits(to)}],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }
        return 200, answer, duplicate

    def _check_template(self, template) -> None:
        if not isinstance(template, dict) or not isinstance(template.get("name"), str):
            raise _wa_error(400, 100, "The parameter template['name'] is required.")
        language = template.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str):
            raise _wa_error(400, 100, "The parameter template['language'] is required.")
        if self.templates is not None and template["name"] not in self.templates:
            raise _wa_error(
                404, 132001, "(#132001) Template name does not exist in the translation"
            )
        for component in template.get("components") or []:
            if not isinstance(component, dict) or component.get("type") not in COMPONENTS:
                raise _wa_error(400, 100, "Invalid parameter: components[].type")
            if component["type"] == "header":
                self._check_header(component.get("parameters") or [])
            elif component["type"] == "button":
                _check_button(component)
            else:
                _check_text_parameters(component.get("parameters") or [])
        expected = (self.templates or {}).get(template["name"])
        body_parameters = [
            parameter
            for component in template.get("components") or []
            if isinstance(component, dict) and component.get("type") == "body"
            for parameter in component.get("parameters") or []
        ]
        if expected is not None and len(body_parameters) != expected:
            raise _wa_error(
                400,
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            )

    def _check_sms_auth(self, headers) -> None:
        if headers.get("X-Api-Key", "") != self.sms_api_key:
            raise _sms_error(401, "UNAUTHORIZED", "Invalid API key")

    def _check_header(self, parameters: list) -> None:
        """Header media is a link, or the id of a media uploaded here before; a text header
        has one text parameter."""
        if parameters and isinstance(parameters[0], dict) and parameters[0].get("type") == "text":
            if len(parameters) != 1:
                raise _wa_error(400, 132000, "(#132000) Number of parameters does not match")
            _check_text_parameters(parameters)
            return
        for parameter in parameters:
            kind = parameter.get("type") if isinstance(parameter, dict) else None
            media = parameter.get(kind) if kind in ("image", "document", "video") else None
            if not isinstance(media, dict) or not (media.get("link") or media.get("id")):
                raise _wa_error(400, 131008, "(#131008) Required parameter is missing")
            if media.get("id") and media["id"] not in self._media:
                raise _wa_error(400, 131053, "(#131053) Media upload error")

    def _sms(self, body: dict) -> tuple[int, dict, bool]:
        if body.get("from") != self.sms_sender_id:
            raise _sms_error(400, "SENDER_NOT_REGISTERED", "Sender ID is not registered")
        to, text = body.get("to"), body.get("text")
        if not isinstance(to, str) or not to.startswith("+") or callbacks.phone(to) is None:
            raise _sms_error(400, "INVALID_NUMBER", "Destination must be an E.164 number")
        if not isinstance(text, str) or not text or len(text) > 1600:
            raise _sms_error(400, "INVALID_TEXT", "Text is required (at most 1600 characters)")
        failing = self._failing_numbers.get(_digits(to))
        if failing and not failing[1]:
            raise _sms_error(400, "NUMBER_BLOCKED", "The destination cannot receive SMS")
        reference = body.get("reference")
        key = reference if isinstance(reference, str) else ""
        sms_id, duplicate = self._accept("sms", key, lambda: "sms-" + uuid.uuid4().hex)
        if not duplicate:
            self._queue_sms_reports(sms_id, key, failing)
        return 202, {"id": sms_id, "status": "ACCEPTED"}, duplicate

    def _accept(self, api: str, key: str, new_id) -> tuple[str, bool]:
        with self._lock:
            if key and (api, key) in self._by_key:
                return self._by_key[(api, key)], True
            provider_id = new_id()
            if key:
                self._by_key[(api, key)] = provider_id
            return provider_id, False

    # --- webhooks ----------------------------------------------------------------------------

    def _queue_statuses(self, wamid: str, body: dict, failing) -> None:
        now = int(time.time())
        words = ["sent", "failed"] if failing else ["sent", "delivered"]
        if self.read_receipts and not failing:
            words.append("read")
        posts = []
        for offset, word in enumerate(words):
            status = {
                "id": wamid,
                "status": word,
                "timestamp": str(now + offset),
                "recipient_id": _digits(body["to"]),
            }
            if body.get("biz_opaque_callback_data"):
                status["biz_opaque_callback_data"] = body["biz_opaque_callback_data"]
            if word == "failed":
                title = ERROR_TITLES.get(failing[0], "Message undeliverable")
                status["errors"] = [{"code": failing[0], "title": title}]
            value = self._wa_value()
            value["statuses"] = [status]
            posts.append(("whatsapp", wamid, word, self._wa_document(value)))
        self._queue(posts)

    def _queue_sms_reports(self, sms_id: str, reference: str, failing) -> None:
        now = time.time()
        words = ["SENT", "UNDELIVERED"] if failing else ["SENT", "DELIVERED"]
        posts = []
        for offset, word in enumerate(words):
            event = {
                "type": "dlr",
                "id": sms_id,
                "reference": reference,
                "status": word,
                "error_code": "NUMBER_BLOCKED" if word == "UNDELIVERED" else "",
                "timestamp": _iso(now + offset),
            }
            posts.append(("sms", sms_id, word, {"events": [event]}))
        self._queue(posts)

    def _wa_value(self) -> dict:
        return {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "6281100000000",
                "phone_number_id": self.phone_number_id,
            },
        }

    def _wa_document(self, value: dict) -> dict:
        change = {"field": "messages", "value": value}
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "fake-waba", "changes": [change]}],
        }

    def _queue(self, posts: list) -> None:
        """One message's webhooks, in the order the controls ask for."""
        if self.reorder:
            posts = list(reversed(posts))
        if self.duplicate:
            posts = [post for post in posts for _copy in (1, 2)]
        for post in posts:
            self._webhooks.put(post)

    def _post_webhooks(self) -> None:
        while True:
            post = self._webhooks.get()
            try:
                if post is None:
                    return
                if self.delay:
                    time.sleep(self.delay)
                self._post(*post)
            finally:
                self._webhooks.task_done()

    def _post(self, api: str, provider_id: str, word: str, document: dict) -> None:
        url, secret, header = (
            (self.sms_webhook_url, self.sms_secret, "X-Signature")
            if api == "sms"
            else (self.whatsapp_webhook_url, self.app_secret, "X-Hub-Signature-256")
        )
        response_status = 0
        if url:
            # Raw UTF-8 (not \\u escapes): emoji and accents are signed as the bytes they are.
            raw = json.dumps(document, ensure_ascii=False).encode()
            headers = {header: callbacks.sign(secret, raw), "Content-Type": "application/json"}
            with contextlib.suppress(httpx.HTTPError):
                response_status = self._client.post(url, content=raw, headers=headers).status_code
        with self._lock:
            self._posted.append(Posted(api, provider_id, word, response_status))


class _Handler(KeepAliveHandler):  # keep-alive, as the real APIs: the adapters pool connections
    def do_POST(self):  # noqa: N802 — the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(413, {"error": {"code": "TOO_LARGE"}}, {})
            return
        raw = self.rfile.read(length)
        misbehaviour = self.server.fake.take_misbehaviour()
        if misbehaviour == "reset":
            # SO_LINGER 0: close() sends RST instead of FIN — "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status, body, headers = self.server.fake.handle(self.path, self.headers, raw)
        if misbehaviour:
            time.sleep(misbehaviour)
        self._answer(status, body, headers)

    def _answer(self, status: int, body: dict, headers: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format, *args):  # noqa: A002 — the stdlib's signature
        """Never log: the request line is harmless, but the rule is simpler without exceptions."""


def _json(raw: bytes, refusal: _Refused) -> dict:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise refusal from None
    if not isinstance(body, dict):
        raise refusal
    return body


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """form-data fields → (file name, bytes), read with the stdlib's MIME parser."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise _wa_error(400, 100, "(#100) Invalid parameter")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


COMPONENTS = ("header", "body", "button")
BUTTON_SUB_TYPES = ("url", "quick_reply")


def _check_text_parameters(parameters: list) -> None:
    """Text parameters as the Cloud API takes them: no line breaks, tabs or more than four
    spaces in a row (error 132018)."""
    for parameter in parameters:
        text = parameter.get("text") if isinstance(parameter, dict) else None
        if parameter.get("type") != "text" or not isinstance(text, str):
            raise _wa_error(400, 131008, "(#131008) Required parameter is missing")
        if "\n" in text or "\t" in text or "     " in text:
            raise _wa_error(400, 132018, "(#132018) There was an issue with the parameters")


def _check_button(component: dict) -> None:
    """A button component: sub_type, a numeric index below 10, and its parameter."""
    index = component.get("index")
    if component.get("sub_type") not in BUTTON_SUB_TYPES or not (
        isinstance(index, str) and index.isdigit() and int(index) < 10
    ):
        raise _wa_error(400, 100, "Invalid parameter: button sub_type/index")
    parameters = component.get("parameters")
    if not isinstance(parameters, list) or len(parameters) != 1:
        raise _wa_error(400, 131008, "(#131008) Required parameter is missing")
    if component["sub_type"] == "url":
        _check_text_parameters(parameters)


def _wa_error(status: int, code: int, message: str, *, retry_after: int | None = None):
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": uuid.uuid4().hex[:24],
    }
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return _Refused(status, {"error": error}, headers)


def _sms_error(status: int, code: str, message: str, *, retry_after: int | None = None):
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return _Refused(status, {"error": {"code": code, "message": message}}, headers)


def _digits(number: str) -> str:
    return number.removeprefix("+")


def _wamid() -> str:
    return "wamid.HBgL" + uuid.uuid4().hex.upper()


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
