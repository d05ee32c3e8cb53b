"""A loopback Web Push service (what a browser vendor's push service does for us), strict
like the real ones:

- ``subscribe()`` plays the browser: a fresh P-256 key pair and auth secret, and an endpoint
  on this server — the subscription JSON a browser's ``pushManager.subscribe()`` returns;
- a push (``POST /push/<token>``) must carry ``Authorization: vapid t=<JWT>, k=<key>``: the
  JWT is verified (ES256 with ``k``; ``aud`` this server's origin; ``exp`` in the future and
  at most 24 hours ahead; ``sub`` a ``mailto:`` or ``https:`` contact; ``k`` the expected
  application server key when one is given), else 401/403;
- ``Content-Encoding: aes128gcm`` and ``TTL`` are required (400), and the body is decrypted
  with the subscription's private key (RFC 8291) — an undecryptable body is 400;
- 201 with a ``Location``; an unknown or ``expire()``-d subscription answers 404/410;
  ``fail_next(n, status)`` answers the next n pushes with ``status`` (429 with Retry-After).

``received`` holds what arrived (decrypted payload, headers of interest, JWT claims), in
memory only; nothing is logged.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# How often serve_forever looks for shutdown(): the 0.5 s default made every stop (one per test
# that starts this fake) wait ~0.4 s.
_POLL = 0.02
MAX_BODY_BYTES = 4096 + 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Push:
    token: str
    payload: dict
    claims: dict
    ttl: str
    topic: str
    urgency: str


@dataclass
class _Subscriber:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    gone: bool = False


class _Refused(Exception):
    def __init__(self, status: int, reason: str, headers: dict | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


class FakePushService:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, vapid_public_key: str = ""):
        self.host, self.port = host, port
        self.vapid_public_key = vapid_public_key  # base64url; empty: any key verifies
        self._lock = threading.Lock()
        self._subscribers: dict[str, _Subscriber] = {}
        self._fail_next: list[int] = []
        self._received: list[Push] = []
        self.refusals: list[tuple[int, str]] = []  # (status, reason) of refused pushes
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakePushService:
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.fake = self
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": _POLL}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePushService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- the browser's side --------------------------------------------------------------------

    def subscribe(self) -> dict:
        """A browser's subscription JSON: ``{"endpoint", "keys": {"p256dh", "auth"}}``."""
        token = uuid.uuid4().hex
        key = ec.generate_private_key(ec.SECP256R1())
        auth = uuid.uuid4().bytes  # 16 random bytes
        with self._lock:
            self._subscribers[token] = _Subscriber(key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{token}",
            "keys": {"p256dh": _b64(public), "auth": _b64(auth)},
        }

    def expire(self, endpoint: str) -> None:
        """The browser unsubscribed: pushes to it answer 410 Gone."""
        with self._lock:
            self._subscribers[endpoint.rsplit("/", 1)[-1]].gone = True

    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self._lock:
            self._fail_next.extend([status] * count)

    @property
    def received(self) -> list[Push]:
        with self._lock:
            return list(self._received)

    # --- a push arrives --------------------------------------------------------------------------

    def handle(self, path: str, headers, raw: bytes) -> tuple[int, dict]:
        token = path.removeprefix("/push/")
        with self._lock:
            subscriber = self._subscribers.get(token) if path.startswith("/push/") else None
            failing = self._fail_next.pop(0) if self._fail_next else None
        if subscriber is None:
            raise _Refused(404, "no such subscription")
        claims = self._verify_vapid(headers.get("Authorization", ""))
        if failing is not None:
            retry = {"Retry-After": "1"} if failing == 429 else {}
            raise _Refused(failing, "injected failure", retry)
        if subscriber.gone:
            raise _Refused(410, "subscription expired")
        if headers.get("Content-Encoding", "").lower() != "aes128gcm":
            raise _Refused(400, "Content-Encoding must be aes128gcm")
        if not (headers.get("TTL") or "").isdigit():
            raise _Refused(400, "TTL header required")
        try:
            plain = http_ece.decrypt(
                raw,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth,
                version="aes128gcm",
            )
            payload = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 — any decryption or JSON failure is a bad push
            raise _Refused(400, "payload cannot be decrypted") from exc
        push = Push(
            token=token,
            payload=payload,
            claims=claims,
            ttl=headers.get("TTL", ""),
            topic=headers.get("Topic", ""),
            urgency=headers.get("Urgency", ""),
        )
        with self._lock:
            self._received.append(push)
        return 201, {"Location": f"{self.url}/message/{uuid.uuid4().hex}"}

    def _verify_vapid(self, header: str) -> dict:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, "vapid authorization required")
        fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        token, key = fields.get("t", ""), fields.get("k", "")
        if self.vapid_public_key and key != self.vapid_public_key:
            raise _Refused(403, "unexpected application server key")
        try:
            signing_input, _, signature = token.rpartition(".")
            header_b64, _, claims_b64 = signing_input.partition(".")
            jwt_header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            raw_signature = _unb64(signature)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
            if jwt_header.get("alg") != "ES256" or len(raw_signature) != 64:
                raise ValueError("alg")
            der = encode_dss_signature(
                int.from_bytes(raw_signature[:32], "big"), int.from_bytes(raw_signature[32:], "big")
            )
            public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise _Refused(403, "invalid vapid token") from exc
        now = time.time()
        if claims.get("aud") != self.url:
            raise _Refused(403, "aud is not this push service")
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 86400:
            raise _Refused(403, "exp missing, past, or more than 24 hours ahead")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise _Refused(403, "sub must be a mailto: or https: contact")
        return claims


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 — the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(413, {})
            return
        raw = self.rfile.read(length)
        fake: FakePushService = self.server.fake
        try:
            status, headers = fake.handle(self.path, self.headers, raw)
        except _Refused as refused:
            with fake._lock:
                fake.refusals.append((refused.status, refused.reason))
            self._answer(refused.status, refused.headers, refused.reason.encode())
            return
        self._answer(status, headers)

    def _answer(self, status: int, headers: dict, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 — the stdlib's signature
        """Never log."""
