"""Communication preferences: the one channel a customer wants per purpose (issue 17).

Kept by service staff on the customer's request, like consent (marketing never: the same
``require_may_change_consent``), under the same per-customer lock, so a batch of notices
that re-checks contactability sees the change or finishes first. What a preference *does* is
``consent.contactability``'s ``NOT_PREFERRED``; this module only records it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.models import ContactPreference, PreferencePurpose, PreferredChannel
from amanah.consent.services import lock_customer_for_consent, require_may_change_consent
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer

# Emitted when a preference is set, changed or cleared (``customer``, ``purpose``, ``old``,
# ``new``; "" = any channel).
PREFERENCE_CHANGED = "consent.contact_preference_changed"


@transaction.atomic
def contact_preference_set(*, actor, customer: Customer, purpose: str, channel: str) -> bool:
    """Name ``channel`` as the customer's one channel for ``purpose``; "" clears it (any
    channel again). Returns False when nothing changed (the same choice again records
    nothing); otherwise audited (CHANGE_CONSENT, no address) and ``PREFERENCE_CHANGED``."""
    require_may_change_consent(actor, customer)
    channel = channel or ""
    if purpose not in PreferencePurpose.values:
        raise ServiceError(
            "purpose_invalid", _("Tujuan komunikasi tidak dikenal."), field="purpose"
        )
    if channel and channel not in PreferredChannel.values:
        raise ServiceError("channel_invalid", _("Kanal pilihan tidak dikenal."), field="channel")
    lock_customer_for_consent(customer.pk)
    current = ContactPreference.objects.filter(customer=customer, purpose=purpose).first()
    old = current.channel if current else ""
    if old == channel:
        return False
    if not channel:
        current.delete()
    else:
        ContactPreference.objects.update_or_create(
            customer=customer,
            purpose=purpose,
            defaults={
                "channel": channel,
                "updated_by": user_or_none(actor),
                "updated_at": timezone.now(),
            },
        )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_CONSENT,
        obj=customer,
        meta={"preference": purpose, "old": old, "new": channel},
    )
    events.emit(
        PREFERENCE_CHANGED, actor=actor, customer=customer, purpose=purpose, old=old, new=channel
    )
    return True


def contact_preferences(customer: Customer) -> list[dict]:
    """Every purpose with the customer's channel ("" = any), for display, in one query."""
    chosen = dict(
        ContactPreference.objects.filter(customer=customer).values_list("purpose", "channel")
    )
    return [
        {
            "purpose": purpose,
            "purpose_label": label,
            "channel": chosen.get(purpose, ""),
            "channel_label": PreferredChannel(chosen[purpose]).label if purpose in chosen else "",
        }
        for purpose, label in PreferencePurpose.choices
    ]


def preferences_move_to_survivor(absorbed: Customer, survivor: Customer) -> int:
    """Merge mover: the survivor keeps its own choices; the absorbed record's fill the gaps."""
    taken = ContactPreference.objects.filter(customer=survivor).values("purpose")
    ContactPreference.objects.filter(customer=absorbed, purpose__in=taken).delete()
    return ContactPreference.objects.filter(customer=absorbed).update(customer=survivor)
