"""What integrations offers the house: the ``ams_`` bearer keys of external systems (through
the API's one token path, ``core.access.authenticate_token``), the case intake as a handler of
messaging's ``inbound_received``, outbound webhooks as handlers of the events in
``webhooks.EVENTS``, the event ``integrations.webhook_disabled`` (``actor``, ``subscription``,
``reason``: ``failures`` or ``manual``) with its handler telling ADMIN (IN_APP through
messaging), its ADMIN/agent menu entries, and ``register_sync_note`` / ``SyncNote``: a count
another app shows under an external system's line on the sync monitor."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.documents.contract import register_owner
from amanah.integrations import delivery as _delivery  # noqa: F401 (its job's declared actor)
from amanah.integrations import imports as _imports  # noqa: F401 (its job's declared actor)
from amanah.integrations import mailbox as _mailbox  # noqa: F401 (its job's declared actor)
from amanah.integrations import monitor as _monitor  # noqa: F401 (its job's declared actor)
from amanah.integrations import subject as _subject_section
from amanah.integrations import webhooks
from amanah.integrations.intake import INTAKE_OWNER, on_inbound_received
from amanah.integrations.models import InboundIntake
from amanah.integrations.monitor import SyncNote, register_sync_note
from amanah.integrations.policies import IMPORT_RUN, INTAKE_VIEW, SYSTEM_KEY_MANAGE
from amanah.integrations.services import KEY_PREFIX, system_key_authenticate
from amanah.messaging.contract import INBOUND_RECEIVED, MessageSource, approval_notify

__all__ = ["SyncNote", "move_intakes", "notify_webhook_disabled", "register_sync_note"]


def notify_webhook_disabled(*, actor, subscription, reason: str) -> None:
    """A subscription switched off (by the delivery job after failures in a row, or by hand):
    IN_APP to whoever manages the systems (ADMIN), through the messaging hub — nothing is
    sent to the receiver meanwhile, and someone has to look."""
    from amanah.iam.contract import holders_of

    system = subscription.system
    if reason == "failures":
        title = _(
            "Webhook sistem “%(system)s” dinonaktifkan setelah %(count)d kegagalan berturut-turut"
        ) % {"system": system.label[:120], "count": subscription.consecutive_failures}
    else:
        title = _("Webhook sistem “%(system)s” dinonaktifkan") % {"system": system.label[:120]}
    approval_notify(
        actor=actor,
        users=holders_of(SYSTEM_KEY_MANAGE),
        title=str(title),
        url=reverse("integrations:system_detail", kwargs={"system_id": system.pk}),
        source=MessageSource.SYSTEM,
        source_id=f"webhook:{subscription.pk}",
        step=f"disabled:{subscription.disabled_at.isoformat()}",
    )


events.declare(webhooks.WEBHOOK_DISABLED)
events.on(webhooks.WEBHOOK_DISABLED, notify_webhook_disabled)

# An e-mail's attachments wait with its intake row while no customer is matched (scope: the
# row's, INTAKE_VIEW); a matched mail's files are documents of its case.
register_owner(
    INTAKE_OWNER,
    label=_("Pesan masuk"),
    url=lambda item: reverse("integrations:unmatched_detail", kwargs={"intake_id": item.pk}),
    describe=lambda item: str(item.get_channel_display()),
    # messages matched or linked to the customer: their attachments are in the access export
    of_customer=lambda customer: InboundIntake.objects.filter(customer=customer),
)

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
    "integrations.sync_monitor",
    NavItem(_("Monitor sinkronisasi"), "integrations:sync_monitor", SYSTEM_KEY_MANAGE, "admin"),
    order=261,
)
registry.navigation.register(
    "integrations.imports",
    NavItem(_("Impor data"), "integrations:import_list", IMPORT_RUN, "admin"),
    order=262,
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

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("integrations", _subject_section.SECTION)
