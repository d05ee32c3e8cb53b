"""What the water utility (PDAM, issue 17) offers the house.

- ``arrears_ageing(actor, connection_ids=None, as_of=None, min_overdue=1)`` → ``{connection id:
  Ageing}`` (0–30, 31–60, 61–90, > 90 days past due, not yet due, oldest due date), scoped by
  the actor: field ops build work orders (disconnection, reminder visits) from it;
- ``spam_load(spam, adding=0)`` and ``capacity_warnings(area)`` for whoever connects
  customers (installations, the future RAB workflow);
- ``payment_apply(...)`` for a cashier or another payment source;
- events: ``utility.network_saved``, ``utility.tariff_saved``, ``utility.connection_created``,
  ``utility.connection_status_changed`` (hook: the installation workflow moves a connection to
  ACTIVE at meter activation), ``utility.readings_recorded``, ``utility.bills_issued``
  (period, bill_ids — hook: bill notices through the messaging hub, late fees),
  ``utility.payment_applied`` (receipt).

It registers: the meter readings import target (``utility.meter_readings``), its posting rules
(``utility.bill``: D piutang air / K pendapatan air; ``utility.payment``: cash, credit and
piutang lines, ``accounts.py``), its payable types with payments (``utility.bill`` — key: the
bill's id; ``utility.connection`` — key: the no. sambungan; either applies oldest bill first)
and reacts to ``payments.payment_settled``; a 360 card with the customer's connection and
arrears; the menu entries; its service areas' outlines on the field map
(``fieldops.map_areas``: ``selectors.area_outlines``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.core import events, registry
from amanah.core.contributions import Card, NavItem
from amanah.fieldops.contract import MapAreas, map_areas
from amanah.ledger.contract import register_posting_rule
from amanah.payments.contract import PAYMENT_SETTLED, register_payable
from amanah.utility import accounts, billing, selectors
from amanah.utility import imports as reading_imports
from amanah.utility import subject as _subject_section
from amanah.utility.accounts import payment_apply
from amanah.utility.policies import BILLING_RUN, CONNECTION_VIEW, NETWORK_VIEW, TARIFF_VIEW
from amanah.utility.selectors import Ageing, arrears_ageing, spam_load
from amanah.utility.services import capacity_warnings

__all__ = ["Ageing", "arrears_ageing", "capacity_warnings", "payment_apply", "spam_load"]

register_posting_rule(billing.BILL_RULE, billing.RULE)
register_posting_rule(accounts.PAYMENT_RULE, accounts.RULE)
register_payable(accounts.BILL_PAYABLE, gettext_lazy("Rekening air"))
register_payable(accounts.CONNECTION_PAYABLE, gettext_lazy("Rekening air (per sambungan)"))
events.on(PAYMENT_SETTLED, accounts.payment_settled, key="utility.payment_settled")

registry.import_targets.register("utility.meter_readings", reading_imports.TARGET, order=40)


def water_facts(customer, actor) -> dict:
    """The customer's connection the actor may see, and its arrears."""
    from amanah.iam import authz

    if not authz.has_perm(actor, CONNECTION_VIEW):
        return {}
    connection = selectors.connection_of_customer(actor, customer)
    if connection is None:
        return {"water": None}
    ageing = selectors.arrears_ageing(actor, connection_ids=[connection.pk]).get(connection.pk)
    return {"water": connection, "water_ageing": ageing}


registry.facts.register("utility", water_facts)
registry.cards.register(
    "utility.connection",
    Card(gettext_lazy("Sambungan air"), "utility/_card.html", CONNECTION_VIEW),
    order=30,
)

registry.navigation.register(
    "utility.connections",
    NavItem(gettext_lazy("Pelanggan air"), "utility:connections", CONNECTION_VIEW, "main"),
    order=72,
)
registry.navigation.register(
    "utility.network",
    NavItem(gettext_lazy("Wilayah & SPAM"), "utility:network", NETWORK_VIEW, "main"),
    order=73,
)
registry.navigation.register(
    "utility.tariffs",
    NavItem(gettext_lazy("Tarif air"), "utility:tariffs", TARIFF_VIEW, "main"),
    order=74,
)
registry.navigation.register(
    "utility.billing",
    NavItem(gettext_lazy("Penagihan air"), "utility:billing", BILLING_RUN, "main"),
    order=75,
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("utility", _subject_section.SECTION)

# The service areas drawn on the field map (fieldops, issue 19).
map_areas.register(
    "utility.service_areas", MapAreas(gettext_lazy("Wilayah pelayanan"), selectors.area_outlines)
)
