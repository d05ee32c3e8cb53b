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


BUTTON_ROWS = 10  # the Cloud API's most buttons per template


class WhatsAppDesignForm(forms.Form):
    """The WhatsApp designer: header (none, text, image, document), body, footer and up to
    ten button rows (type, label, link or number). A button row without a type is left out.
    Shapes only: ``whatsapp_design.clean_components`` decides."""

    header_format = forms.ChoiceField(label=_("Kepala"), required=False)
    header_text = forms.CharField(label=_("Teks kepala"), required=False, max_length=200)
    header_media = forms.ChoiceField(label=_("Media kepala (pustaka media)"), required=False)
    body = forms.CharField(
        label=_("Isi pesan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6})
    )
    footer = forms.CharField(label=_("Kaki (opsional)"), required=False, max_length=200)

    def __init__(self, *args, media_choices=(), **kwargs):
        from amanah.messaging.whatsapp_design import BUTTON_TYPES, HEADER_FORMATS

        super().__init__(*args, **kwargs)
        self.fields["header_format"].choices = [("", _("Tanpa kepala")), *HEADER_FORMATS.items()]
        self.fields["header_media"].choices = [("", "—"), *media_choices]
        for i in range(BUTTON_ROWS):
            self.fields[f"buttons-{i}-type"] = forms.ChoiceField(
                label=_("Jenis tombol"), choices=[("", "—"), *BUTTON_TYPES.items()], required=False
            )
            self.fields[f"buttons-{i}-text"] = forms.CharField(
                label=_("Label tombol"), required=False, max_length=100
            )
            self.fields[f"buttons-{i}-value"] = forms.CharField(
                label=_("Tautan (https://) atau nomor telepon"), required=False, max_length=2000
            )

    def button_rows(self):
        return [
            [self[f"buttons-{i}-{name}"] for name in ("type", "text", "value")]
            for i in range(BUTTON_ROWS)
        ]

    def components(self) -> list[dict]:
        d = self.cleaned_data
        components = []
        if d["header_format"] == "TEXT":
            components.append({"type": "HEADER", "format": "TEXT", "text": d["header_text"]})
        elif d["header_format"]:
            components.append(
                {"type": "HEADER", "format": d["header_format"], "media": d["header_media"]}
            )
        components.append({"type": "BODY", "text": d["body"]})
        if d["footer"].strip():
            components.append({"type": "FOOTER", "text": d["footer"]})
        buttons = [self._button(i) for i in range(BUTTON_ROWS) if d.get(f"buttons-{i}-type")]
        if buttons:
            components.append({"type": "BUTTONS", "buttons": buttons})
        return components

    def _button(self, i: int) -> dict:
        d = self.cleaned_data
        kind, value = d[f"buttons-{i}-type"], d[f"buttons-{i}-value"]
        button = {"type": kind, "text": d[f"buttons-{i}-text"]}
        if kind == "URL":
            button["url"] = value
        elif kind == "PHONE_NUMBER":
            button["phone_number"] = value
        elif value.strip():
            button["url"] = value  # refused by the service: a quick reply takes no link
        return button

    @staticmethod
    def initial_from(version) -> dict:
        """The form's values for the latest version (its components, or its hand-written body)."""
        if version is None:
            return {}
        from amanah.messaging.whatsapp_design import part

        blocks = version.blocks or []
        header = part(blocks, "HEADER") or {}
        initial = {
            "header_format": header.get("format", ""),
            "header_text": header.get("text", ""),
            "header_media": header.get("media", ""),
            "body": version.text,
            "footer": (part(blocks, "FOOTER") or {}).get("text", ""),
        }
        for i, button in enumerate((part(blocks, "BUTTONS") or {}).get("buttons", [])):
            initial |= {
                f"buttons-{i}-type": button["type"],
                f"buttons-{i}-text": button["text"],
                f"buttons-{i}-value": button.get("url") or button.get("phone_number", ""),
            }
        return initial


class MediaUploadForm(forms.Form):
    name = forms.CharField(label=_("Nama media"), max_length=120)
    file = forms.FileField(label=_("Berkas (JPG/PNG maks. 5 MB, PDF)"), required=False)
