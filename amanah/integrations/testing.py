"""Factories (built through the services) and the rows of the project-wide view permission
table (``amanah/core/tests/test_view_permissions.py``)."""

from __future__ import annotations

import socketserver
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from django.db import transaction

from amanah.core.actors import SystemActor
from amanah.core.loopback import LoopbackServer
from amanah.core.testing import ViewCase
from amanah.integrations import services
from amanah.integrations.models import InboundIntake
from amanah.messaging.contract import inbound_receive
from amanah.messaging.providers.base import InboundMessage

SYSTEM = SystemActor("system:test")


def make_system(name: str = "core-banking", *, permissions=("case.create",), **kwargs):
    """An external system with its first key: (system, key, raw key)."""
    return services.external_system_create(
        actor=SYSTEM,
        name=name,
        label=name.replace("-", " ").title(),
        permissions=permissions,
        **kwargs,
    )


def whatsapp_in(
    *, from_address: str, text: str, message_id: str | None = None, provider: str = "whatsapp"
) -> InboundMessage:
    """A customer's WhatsApp message, through the messaging hub (as the webhook hands it on)."""
    message = InboundMessage(
        provider=provider,
        channel="WHATSAPP",
        from_address=from_address,
        text=text,
        at=datetime.now(UTC),
        provider_message_id=message_id or f"wamid.{uuid.uuid4().hex}",
    )
    with transaction.atomic():
        inbound_receive(message)
    return message


@dataclass
class Received:
    headers: dict
    body: bytes


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        receiver = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        headers = {k.lower(): v for k, v in self.headers.items()}
        receiver.received.append(Received(headers, self.rfile.read(length)))
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


class LoopbackReceiver(LoopbackServer):
    """A webhook receiver on 127.0.0.1 (a thread of the test): answers each POST with the next
    of ``statuses`` (200 when they run out) and keeps what it got. Use as a context manager."""

    def __init__(self, statuses: list[int] | None = None):
        super().__init__()
        self.handler = _ReceiverHandler
        self.statuses = list(statuses or [])
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"{super().url}/hooks/amanah"


class _ImapHandler(socketserver.StreamRequestHandler):
    """Enough real IMAP4rev1 (RFC 3501) for ``imaplib``: CAPABILITY, LOGIN, SELECT,
    SEARCH UNSEEN, FETCH n (RFC822.SIZE | RFC822 | BODY.PEEK[] | BODY[]), STORE n
    +FLAGS (\\Seen), NOOP, LOGOUT. ``RFC822`` and ``BODY[]`` set ``\\Seen`` as a real server
    does; ``BODY.PEEK[]`` does not. Message numbers are 1-based and stable (no EXPUNGE)."""

    timeout = 10

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self):
        fake = self.server.fake
        fake.connections.append(self.connection)
        self._send(b"* OK [CAPABILITY IMAP4rev1] loopback IMAP ready\r\n")
        authed = False
        while True:
            try:
                line = self.rfile.readline(8192)
            except OSError:
                return
            if not line:
                return
            parts = line.rstrip(b"\r\n").split(b" ", 2)
            tag, command = parts[0], (parts[1].upper() if len(parts) > 1 else b"")
            args = parts[2] if len(parts) > 2 else b""
            fake.commands.append(command.decode())
            if command == b"CAPABILITY":
                self._send(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK CAPABILITY done\r\n")
            elif command == b"NOOP":
                self._send(tag + b" OK NOOP done\r\n")
            elif command == b"LOGOUT":
                self._send(b"* BYE bye\r\n" + tag + b" OK LOGOUT done\r\n")
                return
            elif command == b"LOGIN":
                user, _, password = args.partition(b" ")
                authed = (user.strip(b'"').decode(), password.strip(b'"').decode()) == (
                    fake.user,
                    fake.password,
                )
                self._send(tag + (b" OK LOGIN done\r\n" if authed else b" NO LOGIN failed\r\n"))
            elif not authed:
                self._send(tag + b" BAD not authenticated\r\n")
            elif command == b"SELECT":
                self._send(
                    b"* %d EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n" % len(fake.mails)
                    + tag
                    + b" OK [READ-WRITE] SELECT done\r\n"
                )
            elif command == b"SEARCH" and args.upper() == b"UNSEEN":
                found = b" ".join(b"%d" % n for n in fake.unseen())
                self._send(b"* SEARCH " + found + b"\r\n" + tag + b" OK SEARCH done\r\n")
            elif command == b"FETCH":
                self._fetch(tag, args)
            elif command == b"STORE":
                number, _, rest = args.partition(b" ")
                if rest.upper() != b"+FLAGS (\\SEEN)" or not fake.has(number):
                    self._send(tag + b" BAD STORE\r\n")
                    continue
                fake.seen.add(int(number))
                self._send(b"* %s FETCH (FLAGS (\\Seen))\r\n" % number + tag + b" OK STORE\r\n")
            else:
                self._send(tag + b" BAD unknown command\r\n")

    def _fetch(self, tag: bytes, args: bytes) -> None:
        fake = self.server.fake
        number, _, item = args.partition(b" ")
        item = item.strip(b"()").upper()
        if not fake.has(number):
            self._send(tag + b" BAD FETCH\r\n")
            return
        raw = fake.mails[int(number) - 1]
        if item == b"RFC822.SIZE":
            self._send(b"* %s FETCH (RFC822.SIZE %d)\r\n" % (number, len(raw)))
        elif item in (b"RFC822", b"BODY[]", b"BODY.PEEK[]"):
            if item != b"BODY.PEEK[]":
                fake.seen.add(int(number))
            name = b"BODY[]" if item.startswith(b"BODY") else b"RFC822"
            fake.fetched.append(int(number))
            self._send(b"* %s FETCH (%s {%d}\r\n" % (number, name, len(raw)) + raw + b")\r\n")
        else:
            self._send(tag + b" BAD FETCH item\r\n")
            return
        self._send(tag + b" OK FETCH done\r\n")


class FakeImapServer(LoopbackServer):
    """A mailbox on 127.0.0.1 (plain IMAP4rev1, no TLS): ``add(raw)`` puts a mail in it;
    ``seen`` holds the numbers flagged ``\\Seen``, ``fetched`` every body fetch."""

    handler = _ImapHandler

    def __init__(self, *, user: str = "pengaduan@bank.test", password: str = "imap-test"):  # noqa: S107
        super().__init__()
        self.user, self.password = user, password
        self.mails: list[bytes] = []
        self.seen: set[int] = set()
        self.fetched: list[int] = []
        self.commands: list[str] = []
        self.connections: list = []

    def add(self, raw: bytes) -> int:
        self.mails.append(raw)
        return len(self.mails)

    def has(self, number: bytes) -> bool:
        return number.isdigit() and 1 <= int(number) <= len(self.mails)

    def unseen(self) -> list[int]:
        return [n for n in range(1, len(self.mails) + 1) if n not in self.seen]

    def _open_connections(self):
        return list(self.connections)


def unmatched_intake(text: str = "Saldo saya terpotong dua kali, mohon dibantu.") -> InboundIntake:
    message = whatsapp_in(from_address="+6281399990000", text=text)
    return InboundIntake.objects.get(external_id=message.provider_message_id)


def _system(world: dict):
    if "integration_system" not in world:
        world["integration_system"] = make_system("view-test")[0]
    return world["integration_system"]


def _intake(world: dict):
    if "integration_intake" not in world:
        world["integration_intake"] = unmatched_intake()
    return world["integration_intake"]


def import_batch(actor=SYSTEM, text: str = "CIF;Nama lengkap;Kode cabang\nC1;Siti Aminah;X1\n"):
    """A batch of one customer row, uploaded (not yet mapped)."""
    from amanah.integrations import imports

    return imports.import_batch_create(
        actor=actor, target="customers.customers", file_name="nasabah.csv", content=text.encode()
    )


def _batch(world: dict):
    if "integration_import" not in world:
        world["integration_import"] = import_batch()
    return world["integration_import"]


KEY_MANAGE, INTAKE_VIEW, INTAKE_LINK = (
    "integration.key.manage",
    "integration.intake.view",
    "integration.intake.link",
)

IMPORT_RUN = "integration.import.run"

VIEW_CASES = [
    ViewCase("integrations:import_list", IMPORT_RUN),
    ViewCase("integrations:import_upload", IMPORT_RUN),
    ViewCase("integrations:import_detail", IMPORT_RUN, kwargs=lambda w: {"batch_id": _batch(w).pk}),
    ViewCase(
        "integrations:import_progress", IMPORT_RUN, kwargs=lambda w: {"batch_id": _batch(w).pk}
    ),
    ViewCase(
        "integrations:import_mapping",
        IMPORT_RUN,
        method="post",
        kwargs=lambda w: {"batch_id": _batch(w).pk},
        data=lambda w: {"col_0": "cif", "col_1": "full_name", "col_2": "branch"},
        ok_status=(303,),
        role="DATA_STEWARD",  # the customers target also needs customer.manage
    ),
    ViewCase(
        "integrations:import_start",
        IMPORT_RUN,
        method="post",
        kwargs=lambda w: {"batch_id": _batch(w).pk},
        ok_status=(303,),  # not yet checked: refused with its reason, back to the page
        role="DATA_STEWARD",
    ),
    ViewCase(
        "integrations:import_download",
        IMPORT_RUN,
        kwargs=lambda w: {"batch_id": _batch(w).pk, "kind": "errors"},
    ),
    ViewCase("integrations:system_list", KEY_MANAGE),
    ViewCase("integrations:system_create", KEY_MANAGE),
    ViewCase(
        "integrations:system_detail",
        KEY_MANAGE,
        kwargs=lambda w: {"system_id": _system(w).pk},
    ),
    ViewCase(
        "integrations:key_rotate",
        KEY_MANAGE,
        method="post",
        kwargs=lambda w: {"system_id": _system(w).pk},
        data=lambda w: {"valid_days": "30"},
        ok_status=(200,),  # the new key, shown once
    ),
    ViewCase(
        "integrations:key_revoke",
        KEY_MANAGE,
        method="post",
        kwargs=lambda w: {"key_id": _system(w).keys.first().pk},
        ok_status=(303,),
    ),
    ViewCase("integrations:sync_monitor", KEY_MANAGE),
    ViewCase(
        "integrations:schedule_set",
        KEY_MANAGE,
        method="post",
        kwargs=lambda w: {"system_id": _system(w).pk},
        data=lambda w: {"silent_after_minutes": "30"},
        ok_status=(303,),
    ),
    ViewCase(
        "integrations:delivery_retry",
        KEY_MANAGE,
        method="post",
        kwargs=lambda w: {"delivery_id": uuid.UUID(int=0)},
        ok_status=(404,),  # no such delivery: the route's permission is what is tested
    ),
    ViewCase("integrations:unmatched_list", INTAKE_VIEW),
    ViewCase(
        "integrations:unmatched_detail",
        INTAKE_VIEW,
        kwargs=lambda w: {"intake_id": _intake(w).pk},
    ),
    ViewCase(
        "integrations:unmatched_link",
        INTAKE_LINK,
        method="post",
        kwargs=lambda w: {"intake_id": _intake(w).pk},
        data=lambda w: {"cif": "CIF-TIDAK-ADA"},
        ok_status=(303,),
    ),
]


def sending_system(*extra: str):
    """The actor of a system sending a batch import through its API key
    (``integrations.services.actor_for``: its own grants, which travel with the run): every
    import target's permission, the customers in every branch, and ``extra``. What a system
    actor started would run with no permission at all (issue 51), so a test's import is sent
    by this."""
    from amanah.core import registry
    from amanah.core.actors import IntegrationActor

    targets = {target.permission for _key, target in registry.import_targets.items()}
    return IntegrationActor(
        "core-banking",
        permissions={IMPORT_RUN, "customer.view", "customer.view.branch", *targets, *extra},
        all_branches=True,
    )
