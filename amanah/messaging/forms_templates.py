"""Forms of the template pages: shapes and lengths only; the services decide the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import WhatsAppCategory


class VersionForm(forms.Form):
    """The content of a version; which parts a channel uses is the service's business."""

    subject = forms.CharField(label=_("Subjek (email)"), required=False, max_length=200)
    text = forms.CharField(
        label=_("Isi pesan (teks)"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    html = forms.CharField(
        label=_("Isi HTML (email, opsional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
    )


class TemplateForm(VersionForm):
    key = forms.CharField(label=_("Kunci (mis. case.receipt)"), max_length=64)
    name = forms.CharField(label=_("Nama templat"), max_length=120)
    channel = forms.ChoiceField(label=_("Kanal"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("Tujuan pesan"), choices=Purpose.choices)
    category = forms.ChoiceField(
        label=_("Kategori WhatsApp"),
        required=False,
        choices=[("", "—"), *WhatsAppCategory.choices],
    )
    provider_template = forms.CharField(
        label=_("Nama templat di penyedia WhatsApp"), required=False, max_length=512
    )
    language = forms.CharField(label=_("Bahasa"), initial="id", max_length=12)

    field_order = [
        "key",
        "name",
        "channel",
        "purpose",
        "category",
        "provider_template",
        "language",
        "subject",
        "text",
        "html",
    ]


class PreviewForm(forms.Form):
    """Preview with the sample values, or with a real customer the viewer may see."""

    customer = forms.UUIDField(
        label=_("ID nasabah (opsional)"),
        required=False,
        widget=forms.TextInput(
            attrs={"aria-label": _("ID nasabah (opsional)"), "placeholder": _("ID nasabah")}
        ),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Catatan"), required=False, max_length=500)
