"""What integrations offers the house: the ``ams_`` bearer keys of external systems (through
the API's one token path, ``core.access.authenticate_token``), the case intake as a handler of
messaging's ``inbound_received``, outbound webhooks as handlers of the events in
``webhooks.EVENTS``, and its ADMIN/agent menu entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.integrations import webhooks
from amanah.integrations.intake import on_inbound_received
from amanah.integrations.models import InboundIntake
from amanah.integrations.policies import INTAKE_VIEW, SYSTEM_KEY_MANAGE
from amanah.integrations.services import KEY_PREFIX, system_key_authenticate
from amanah.messaging.contract import INBOUND_RECEIVED

registry.token_authenticators.register(KEY_PREFIX, system_key_authenticate)
events.on(INBOUND_RECEIVED, on_inbound_received)
for _event in webhooks.EVENTS:  # in the emitting transaction: rows only, sent by a job
    events.on(_event, webhooks.on_event(_event), key="integrations.webhooks")

registry.navigation.register(
    "integrations.systems",
    NavItem(_("Sistem eksternal"), "integrations:system_list", SYSTEM_KEY_MANAGE, "admin"),
    order=260,
)
registry.navigation.register(
    "integrations.unmatched",
    NavItem(_("Pesan masuk belum cocok"), "integrations:unmatched_list", INTAKE_VIEW),
    order=45,
)


def move_intakes(absorbed, survivor) -> int:
    """A merge: the messages filed for the absorbed customer now belong to the survivor."""
    return InboundIntake.objects.filter(customer=absorbed).update(customer=survivor)


registry.merge_movers.register("integrations.intakes", move_intakes)
