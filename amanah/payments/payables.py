"""What a payment may pay: the kinds of payable an owner app registered (a water bill, a RAB
installment …), and the names of the events payments emits for the owner to apply.

An owner registers its kind once in its ``contract.py``::

    from amanah.payments.contract import register_payable
    register_payable("utility.bill", _("Tagihan air"))

and subscribes to ``PAYMENT_SETTLED`` (``actor``, ``payment``): ``payment.payable_type`` /
``payment.payable_key`` name its row and ``payment.paid_amount`` is what arrived — always
equal to the amount it asked for. A different amount arrives as ``PAYMENT_MISMATCH`` instead,
for reconciliation: it is never applied. ``PAYMENT_ENDED`` tells of an expired, failed or
cancelled payment (the owner may offer a new one)."""

from __future__ import annotations

from amanah.core.registry import Registry

PAYMENT_SETTLED = "payments.payment_settled"
PAYMENT_MISMATCH = "payments.payment_mismatch"
PAYMENT_ENDED = "payments.payment_ended"
# Once per batch of the callbacks job, after the batch's PAYMENT_SETTLED events (``actor``,
# ``payments``: the settled ones, amounts as asked): an owner that applies many payments at
# once (set-based) subscribes to this one *instead of* PAYMENT_SETTLED.
PAYMENTS_SETTLED = "payments.payments_settled"

payable_types = Registry("payable types")


def register_payable(key: str, label) -> None:
    """An owner's kind of payable (``"<app>.<kind>"``) with its label for the pages."""
    payable_types.register(key, label)


def payable_label(key: str):
    return payable_types.get(key) if key in payable_types else key
