"""Test support: approved OFFER templates for campaigns to send.

``offer_template(channel)`` writes a messaging template with one APPROVED version directly —
test data, not the template workflow (whose four eyes messaging's own tests cover), so that
it also works on a committed connection (``consent.testing.committed``) where no approving
user exists. ``remove_offer_templates()`` deletes what it wrote.
"""

from __future__ import annotations

from django.utils import timezone

from amanah.messaging.models import MessageTemplate, TemplateVersion

OFFER_KEY = "uji.penawaran"
OFFER_TEXT = "Halo {{customer.first_name}}, {{campaign.name}} kini tersedia untuk Anda."
OFFER_SUBJECT = "{{customer.first_name}}, penawaran {{campaign.name}}"
OFFER_HTML = "<p>Halo {{customer.first_name}},</p><p>{{campaign.name}} kini tersedia.</p>"


def offer_template(
    channel: str, *, key: str = OFFER_KEY, text: str = OFFER_TEXT, number: int = 1
) -> TemplateVersion:
    """An OFFER template ``key`` of ``channel`` whose version ``number`` is APPROVED."""
    is_email, is_whatsapp = channel == "EMAIL", channel == "WHATSAPP"
    template, _created = MessageTemplate.objects.get_or_create(
        key=key,
        channel=channel,
        defaults={
            "purpose": "OFFER",
            "name": f"Penawaran uji ({channel})",
            "category": "MARKETING" if is_whatsapp else "",
            "provider_template": "penawaran_uji" if is_whatsapp else "",
        },
    )
    now = timezone.now()
    return TemplateVersion.objects.create(
        template=template,
        number=number,
        subject=OFFER_SUBJECT if is_email else "",
        text=text,
        html=OFFER_HTML if is_email else "",
        status="APPROVED",
        submitted_at=now,
        decided_at=now,
    )


def remove_offer_templates(key: str = OFFER_KEY) -> None:
    TemplateVersion.objects.filter(template__key=key).delete()
    MessageTemplate.objects.filter(key=key).delete()
