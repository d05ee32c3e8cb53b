"""What the Customer 360 offers the house: the search in the menu, its own alerts, the consent
timeline and the consent quick action. Other apps' parts of the page come from their contracts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.consent.policies import CONSENT_CHANGE
from amanah.core import registry
from amanah.core.contributions import NavItem, QuickAction, TimelineKind, TimelineProvider
from amanah.customer360 import actions, alerts, providers
from amanah.customers.policies import CUSTOMER_SEARCH

# Nothing offered by name: everything this contract declares is registered at start-up
# (core.registry, the workflow engine, events).
__all__: list[str] = []

registry.navigation.register(
    "customer360.search",
    NavItem(_("Cari nasabah"), "customer360:search", CUSTOMER_SEARCH),
    order=10,
)

registry.timeline_kinds.register("CONSENT", TimelineKind(_("Persetujuan")), order=40)
registry.timeline_kinds.register("PROFILE", TimelineKind(_("Profil")), order=50)
registry.timeline_providers.register(
    "consent.records", TimelineProvider("CONSENT", providers.consent_events)
)

registry.alerts.register("CONSENT_WITHDRAWN", alerts.consent_withdrawn, order=0)  # overrides all
registry.alerts.register("FRAUD_FLAG", alerts.fraud, order=10)
registry.alerts.register("MERGED", alerts.merged, order=20)
registry.alerts.register("VIP_CUSTOMER", alerts.vip, order=60)
registry.alerts.register("POSSIBLE_DUPLICATE", alerts.possible_duplicate, order=70)

registry.quick_actions.register(
    "customer360.consent_change",
    QuickAction(_("Catat perubahan persetujuan"), CONSENT_CHANGE, actions.consent_tab),
    order=10,
)
