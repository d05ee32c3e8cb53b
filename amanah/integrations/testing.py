"""Factories (built through the services) and the rows of the project-wide view permission
table (``amanah/core/tests/test_view_permissions.py``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.db import transaction

from amanah.core.actors import SystemActor
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


KEY_MANAGE, INTAKE_VIEW, INTAKE_LINK = (
    "integration.key.manage",
    "integration.intake.view",
    "integration.intake.link",
)

VIEW_CASES = [
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
