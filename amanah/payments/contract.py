"""What payments offers the house:

- ``register_payable(key, label)``: an owner app's kind of payable (a bill, an installment);
- ``payment_request(...)``: a VA or QRIS payment for one payable (``payable_type`` +
  ``payable_key`` + amount), answered with the VA number or the QRIS payload;
- the events ``payments.payment_settled`` (``actor``, ``payment``: apply it),
  ``payments.payment_mismatch`` (an amount that differs: never apply, reconcile) and
  ``payments.payment_ended`` (expired, failed or cancelled), and
  ``payments.payments_settled`` (``actor``, ``payments``: a batch's settled payments at once,
  for an owner that applies them set-based instead of one ``payment_settled`` at a time);
- ``settlement_applier(actor, permissions)``: the actor an owner applies a settled payment
  with — the gateway's integrations system (the event's ``actor``), narrowed to the owner's
  own payment/billing/ledger grants (never an actor holding every permission);
- its finance/ADMIN menu entries, and the gateways' disagreements and waiting callbacks on
  the sync monitor.

Payments imports no owner: owners import this contract."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.integrations.contract import register_sync_note
from amanah.payments import daily as _daily  # noqa: F401 (its job's declared actor)
from amanah.payments import poll as _poll  # noqa: F401 (its job's declared actor)
from amanah.payments.payables import (
    PAYMENT_ENDED,
    PAYMENT_MISMATCH,
    PAYMENT_SETTLED,
    PAYMENTS_SETTLED,
    payable_label,
    register_payable,
)
from amanah.payments.policies import PAYMENT_CALLBACK_VIEW, PAYMENT_RECONCILE, PAYMENT_VIEW
from amanah.payments.selectors import gateway_sync_notes
from amanah.payments.services import payment_request
from amanah.payments.systems import settlement_applier

__all__ = [
    "PAYMENT_ENDED",
    "PAYMENT_MISMATCH",
    "PAYMENT_SETTLED",
    "PAYMENTS_SETTLED",
    "payable_label",
    "payment_request",
    "register_payable",
    "settlement_applier",
]

events.declare(PAYMENT_SETTLED)
events.declare(PAYMENT_MISMATCH)
events.declare(PAYMENT_ENDED)
events.declare(PAYMENTS_SETTLED)

registry.navigation.register(
    "payments.list", NavItem(_("Pembayaran"), "payments:list", PAYMENT_VIEW), order=120
)
registry.navigation.register(
    "payments.reconciliations",
    NavItem(_("Rekonsiliasi pembayaran"), "payments:reconciliations", PAYMENT_RECONCILE),
    order=121,
)
registry.navigation.register(
    "payments.callbacks",
    NavItem(_("Callback gateway"), "payments:callbacks", PAYMENT_CALLBACK_VIEW, "admin"),
    order=262,
)

# Under each gateway's integrations system on the sync monitor: callbacks that disagreed
# with its status API, and callbacks still waiting.
register_sync_note("payments.gateway_callbacks", gateway_sync_notes)
