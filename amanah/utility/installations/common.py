"""What the parts of the new-connection module share: keys, events, limits, the row lock."""

from __future__ import annotations

from django.utils.translation import gettext as _

from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.utility.models import (
    Installation,
    InstallationStatus,
)

S = InstallationStatus
WORKFLOW_KEY = "utility.installation"
INSTALLATION_CREATED = events.declare("utility.installation_created")
RAB_SAVED = events.declare("utility.rab_saved")
RAB_BILLED = events.declare("utility.rab_billed")
# fn(*, actor, installation): a RAB was approved (emitted in the approval's transaction).
RAB_APPROVED = events.declare("utility.rab_approved")
RAB_PAYMENT_APPLIED = events.declare("utility.rab_payment_applied")
LATE_FEES_ASSESSED = events.declare("utility.late_fees_assessed")

RAB_BILL_RULE = "utility.rab_bill"
RAB_PAYMENT_RULE = "utility.rab_payment"
LATE_FEE_RULE = "utility.late_fee"
INSTALLATION_PAYABLE = "utility.installation"

RAB_LINES_MAX = 50
QTY_MAX = 100_000
PRICE_MAX = 10**11
NOTE_MAX = 1000


def actor_ref(actor) -> str:
    return str(actor.pk) if getattr(actor, "pk", None) is not None else actor.username


def installation_for_update(actor, installation_id) -> Installation:
    try:
        row = (
            Installation.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk=int(installation_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


def whole(value, *, field: str, label, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ServiceError(
            f"{field}_invalid",
            _("%(label)s harus bilangan bulat %(low)s–%(high)s.")
            % {
                "label": label,
                "low": f"{low:,}".replace(",", "."),
                "high": f"{high:,}".replace(",", "."),
            },
            field=field,
        )
    return value
