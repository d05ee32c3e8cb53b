"""The customer told of each step of a new connection through the messaging outbox."""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.messaging.contract import (
    MessageSource,
    Purpose,
    Rendered,
    customer_channel,
    message_queue,
)
from amanah.utility.installations.common import (
    WORKFLOW_KEY,
    S,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- notices

NOTICES = {
    S.APPLIED: gettext_noop("Permohonan sambungan baru %(number)s telah kami terima."),
    S.SURVEYED: gettext_noop("Survei lokasi sambungan baru %(number)s telah dilakukan."),
    S.RAB_SUBMITTED: gettext_noop("RAB sambungan baru %(number)s sedang diperiksa."),
    S.RAB_APPROVED: gettext_noop(
        "RAB sambungan baru %(number)s disetujui: Rp %(total)s. Silakan lakukan pembayaran."
    ),
    S.PAID: gettext_noop("Pembayaran RAB %(number)s diterima; pemasangan dijadwalkan."),
    S.INSTALLED: gettext_noop("Sambungan baru %(number)s telah dipasang."),
    S.ACTIVE: gettext_noop("Meter sambungan %(number)s aktif. Selamat menikmati air bersih."),
}
REVERT_NOTICE = gettext_noop(
    "Tahap permohonan sambungan baru %(number)s dikoreksi oleh petugas: %(stage)s."
)


def installation_notify(*, actor, obj, to_status, revert, **_ignored) -> None:
    """Tell the customer of a step (handler of ``utility.installation.transitioned``): one
    message per move (its ordinal keeps it idempotent), on the customer's preferred channel for
    SERVICE messages, else the first one the customer has an address for (messaging's one
    rule, ``customer_channel``, as every notice); the
    outbox checks contactability (a refused one is kept, cancelled, with
    its reason). A customer without any address is skipped."""
    from amanah.workflow.contract import times_moved_to

    installation = obj
    customer = installation.connection.customer
    channel = customer_channel(customer, Purpose.SERVICE)
    if channel is None:
        logger.info("utility: installation notice skipped (no address)")
        return
    with translation.override("id"):
        values = {
            "number": installation.number,
            "total": f"{installation.rab_total:,}".replace(",", "."),
            "stage": S(to_status).label,
        }
        text = _(REVERT_NOTICE if revert else NOTICES[S(to_status)]) % values
        subject = _("Sambungan baru %(number)s") % values
    ordinal = times_moved_to(WORKFLOW_KEY, installation, to_status) if to_status != S.APPLIED else 0
    message_queue(
        actor=actor,
        channel=channel,
        purpose=Purpose.SERVICE,
        rendered=Rendered(subject=subject, text=text),
        source=MessageSource.SYSTEM,
        source_id=f"installation:{installation.pk}",
        step=f"{to_status}:{ordinal}",
        customer=customer,
    )
