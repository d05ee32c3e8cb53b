"""The 360's own timeline provider: consent changes (registered in ``customer360/contract.py``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from amanah.consent.models import ConsentRecord, ConsentStatus, ConsentType
from amanah.core.choices import choice_label
from amanah.core.contributions import TimelineEvent, in_window, timeline_read


def _type_label(record: ConsentRecord) -> str:
    """ "Pemasaran", or "Pemasaran (Email)" for a change that covers one channel only."""
    label = str(ConsentType(record.consent_type).label)
    if record.contact_channel:
        return f"{label} ({choice_label(record, 'contact_channel')})"
    return label


@timeline_read(ConsentRecord)
def _consent_records(actor, *, customer, since, until, limit):
    return in_window(
        ConsentRecord.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("captured_by")
        .only(
            "effective_at",
            "consent_type",
            "contact_channel",
            "new_status",
            "captured_channel",
            "verification_method",
            "captured_by__full_name",
        ),
        "effective_at",
        since,
        until,
    ).order_by("-effective_at")[:limit]


def consent_events(customer, *, actor, since=None, until=None, limit=50):
    rows = _consent_records(actor, customer=customer, since=since, until=until, limit=limit)
    return [
        TimelineEvent(
            at=r.effective_at,
            kind="CONSENT",
            title=_("%(type)s: %(status)s")
            % {
                "type": _type_label(r),
                "status": ConsentStatus(r.new_status).label,
            },
            detail=_("Kanal %(channel)s, verifikasi %(method)s")
            % {
                "channel": choice_label(r, "captured_channel"),
                "method": choice_label(r, "verification_method"),
            },
            actor=r.captured_by.full_name if r.captured_by else "",
        )
        for r in rows
    ]
