"""The outside world of the Go-live test, on loopback and written here (not the project's own
fakes): a certificate authority the run trusts (``SSL_CERT_FILE``), an SMTP server with
STARTTLS and AUTH, and one HTTPS server playing the WhatsApp Cloud API and an SMS gateway —
each answering as the real service does and posting signed status callbacks back to the
installation, through its front door as the TLS proxy would."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import ipaddress
import json
import queue
import ssl
import threading
import time
import uuid
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amanah.messaging.testing import free_port


class TestAuthority:
    """A CA and one server certificate for 127.0.0.1, written to ``folder``."""

    __test__ = False  # not a test class

    def __init__(self, folder: Path):
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Amanah go-live test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(pem))
        self.cert_file = folder / "server.pem"
        self.cert_file.write_bytes(cert.public_bytes(pem))
        self.key_file = folder / "server.key"
        self.key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class MailServer:
    """SMTP on loopback: STARTTLS required, then AUTH with one user; keeps what it accepts."""

    def __init__(self, authority: TestAuthority, user: str, password: str):
        self.user, self.password = user, password
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=authority.server_context(),
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.user, self.password)
        return AuthResult(success=ok, auth_data=auth_data)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class ProviderServer:
    """HTTPS on loopback: ``/{version}/{phone number id}/messages`` as the WhatsApp Cloud API
    (Bearer token) and ``/sms/messages`` as the SMS gateway (``X-Api-Key``). Each accepted
    message is answered with its provider id and then reported ``delivered`` by a signed
    callback to the installation's ``/webhooks/whatsapp`` or ``/webhooks/sms``."""

    def __init__(self, authority: TestAuthority, *, whatsapp: dict, sms: dict, domain: str):
        self.whatsapp, self.sms, self.domain = whatsapp, sms, domain
        self.app_url = ""  # where the callbacks go (set once the installation listens)
        self.received: list[tuple[str, dict]] = []
        self.refused: list[str] = []
        self.callbacks: list[tuple[str, int]] = []
        self._outbox: queue.Queue = queue.Queue()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.provider = self
        self._http.socket = authority.server_context().wrap_socket(
            self._http.socket, server_side=True
        )
        self.url = f"https://127.0.0.1:{self._http.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}),
            threading.Thread(target=self._post_callbacks),
        ]

    def start(self) -> ProviderServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._outbox.put(None)
        self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=10)

    def accept(self, kind: str, path: str, headers, body: dict) -> tuple[int, dict]:
        if kind == "whatsapp":
            expected = f"/{self.whatsapp['version']}/{self.whatsapp['phone_number_id']}/messages"
            if headers.get("Authorization") != f"Bearer {self.whatsapp['token']}":
                return self._refuse(path, 401, {"error": {"code": 190, "message": "token"}})
            if path != expected or body.get("messaging_product") != "whatsapp":
                return self._refuse(path, 400, {"error": {"code": 100, "message": "shape"}})
            wamid = f"wamid.{uuid.uuid4().hex}"
            self.received.append(("whatsapp", body))
            self._outbox.put(("whatsapp", _whatsapp_status(wamid, body["to"])))
            return 200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]}
        if headers.get("X-Api-Key") != self.sms["api_key"] or path != "/sms/messages":
            return self._refuse(path, 401, {"error": {"code": "UNAUTHORIZED", "message": "key"}})
        gateway_id = f"sms-{uuid.uuid4().hex}"
        self.received.append(("sms", body))
        self._outbox.put(("sms", _sms_report(gateway_id, body["reference"])))
        return 200, {"id": gateway_id, "status": "ACCEPTED"}

    def _refuse(self, path: str, status: int, body: dict) -> tuple[int, dict]:
        self.refused.append(path)
        return status, body

    def _post_callbacks(self) -> None:
        """As the provider: a moment after accepting, the signed report, to the front door."""
        with httpx.Client(timeout=30) as client:
            while (item := self._outbox.get()) is not None:
                kind, document = item
                raw = json.dumps(document).encode()
                secret, header = (
                    (self.whatsapp["app_secret"], "X-Hub-Signature-256")
                    if kind == "whatsapp"
                    else (self.sms["callback_secret"], "X-Signature")
                )
                time.sleep(0.2)
                response = client.post(
                    f"{self.app_url}/webhooks/{kind}",
                    content=raw,
                    headers={
                        "Content-Type": "application/json",
                        header: _signature(secret, raw),
                        "Host": self.domain,
                        "X-Forwarded-Proto": "https",
                        "X-Forwarded-For": "203.0.113.7",
                    },
                )
                self.callbacks.append((kind, response.status_code))

    def sent(self, kind: str) -> list[dict]:
        return [body for k, body in self.received if k == kind]


def _whatsapp_status(wamid: str, to: str) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": "delivered",
                                    "timestamp": str(int(time.time())),
                                    "recipient_id": to,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def _sms_report(gateway_id: str, reference: str) -> dict:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "events": [
            {
                "type": "dlr",
                "id": gateway_id,
                "reference": reference,
                "status": "DELIVERED",
                "error_code": "",
                "timestamp": stamp,
            }
        ]
    }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
        pass

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = "sms" if self.path.startswith("/sms/") else "whatsapp"
        try:
            body = json.loads(raw)
        except ValueError:
            status, answer = 400, {"error": {"code": 100, "message": "json"}}
        else:
            status, answer = self.server.provider.accept(kind, self.path, self.headers, body)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
