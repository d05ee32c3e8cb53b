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


DESIGN_ROWS = 8


class DesignForm(forms.Form):
    """The email designer: a subject and up to eight block rows (type, text, link, position).
    A row without a type is left out; rows are ordered by position (dragging a row sets it;
    without JavaScript the numbers are typed). The service checks the blocks."""

    subject = forms.CharField(label=_("Subjek email"), max_length=200)

    def __init__(self, *args, **kwargs):
        from amanah.messaging.email_blocks import BLOCK_TYPES

        super().__init__(*args, **kwargs)
        types = [("", "—"), *BLOCK_TYPES.items()]
        for i in range(DESIGN_ROWS):
            self.fields[f"blocks-{i}-type"] = forms.ChoiceField(
                label=_("Jenis blok"), choices=types, required=False
            )
            self.fields[f"blocks-{i}-text"] = forms.CharField(
                label=_("Teks (gambar: teks alternatif)"),
                required=False,
                max_length=2000,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"blocks-{i}-url"] = forms.CharField(
                label=_("Tautan (gambar dan tombol)"), required=False, max_length=500
            )
            self.fields[f"blocks-{i}-position"] = forms.IntegerField(
                label=_("Urutan"), required=False, min_value=0, max_value=99, initial=i
            )

    def rows(self):
        """The bound fields of each row, for the page."""
        return [
            [self[f"blocks-{i}-{name}"] for name in ("position", "type", "text", "url")]
            for i in range(DESIGN_ROWS)
        ]

    def blocks(self) -> list[dict]:
        d = self.cleaned_data
        rows = []
        for i in range(DESIGN_ROWS):
            kind = d.get(f"blocks-{i}-type")
            if not kind:
                continue
            position = d.get(f"blocks-{i}-position")
            rows.append(
                (
                    i if position is None else position,
                    i,
                    {"type": kind, "text": d[f"blocks-{i}-text"], "url": d[f"blocks-{i}-url"]},
                )
            )
        return [block for _pos, _i, block in sorted(rows, key=lambda r: (r[0], r[1]))]

    @staticmethod
    def initial_from(version) -> dict:
        initial = {"subject": version.subject if version else ""}
        for i, block in enumerate((version.blocks if version else [])[:DESIGN_ROWS]):
            initial.update(
                {
                    f"blocks-{i}-type": block["type"],
                    f"blocks-{i}-text": block["text"],
                    f"blocks-{i}-url": block["url"],
                    f"blocks-{i}-position": i,
                }
            )
        return initial
