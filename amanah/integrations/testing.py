"""Factories (built through the services) and the rows of the project-wide view permission
table (``amanah/core/tests/test_view_permissions.py``)."""

from __future__ import annotations

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
