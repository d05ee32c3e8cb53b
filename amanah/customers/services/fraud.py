"""The fraud flag (seed 003 Bab 5.4, Tier-3; seed 001 §7: the 360's critical FRAUD_FLAG
alert): set or cleared by compliance / risk, always with a reason, on a customer of their
branch scope — found by CIF, since compliance does not open customers on the 360 (Bab 6.3.5).
The change is kept in ``FraudFlagChange`` (who, when, why); the audit row has the reason's
length, never its text; ``customers.fraud_flag_changed`` (``actor, customer, flagged``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.customers import selectors
from amanah.customers.models import Customer, FraudFlagChange
from amanah.customers.policies import FRAUD_FLAG
from amanah.customers.services.inputs import reason_text

# fn(*, actor, customer, flagged): the customer's fraud flag was set (True) or cleared.
FRAUD_FLAG_CHANGED = "customers.fraud_flag_changed"


@transaction.atomic
def fraud_flag_set(*, actor, customer: Customer, flagged: bool, reason: str) -> FraudFlagChange:
    """Set (``flagged``) or clear the fraud flag of ``customer``, with the reason; setting a
    flag that is set (or clearing a clear one) is refused, so each row of the history is a
    change."""
    customer = selectors.customer_for_change(
        actor=actor, permission=FRAUD_FLAG, customer_id=customer.pk, lock=True
    )
    if not isinstance(flagged, bool):
        raise ServiceError("flagged_invalid", _("Pilih pasang atau cabut."), field="flagged")
    reason = reason_text(reason)
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("Nasabah ini sudah digabung ke nasabah lain; tandai nasabah itu."),
        )
    if customer.fraud_flag == flagged:
        message = (
            _("Nasabah ini sudah bertanda fraud.")
            if flagged
            else _("Nasabah ini tidak bertanda fraud.")
        )
        raise ServiceError("fraud_flag_unchanged", message, field="flagged")
    at = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(fraud_flag=flagged, updated_at=at)
    customer.fraud_flag, customer.updated_at = flagged, at
    change = FraudFlagChange.objects.create(
        customer=customer,
        flagged=flagged,
        reason=reason,
        actor=user_or_none(actor),
        actor_label=getattr(actor, "username", "") or "system",
        at=at,
    )
    events.emit(FRAUD_FLAG_CHANGED, actor=actor, customer=customer, flagged=flagged)
    audit.record(
        actor=actor,
        action=AuditAction.SET_FRAUD_FLAG if flagged else AuditAction.CLEAR_FRAUD_FLAG,
        obj=customer,
        meta={"change": change.pk, "reason_length": len(reason)},
    )
    return change
