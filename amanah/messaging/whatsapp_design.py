"""The WhatsApp template designer (seed 001 §6E): header, body, footer and buttons, checked
against the Cloud API's rules and kept in the shape of its message-template components.

A design (``TemplateVersion.blocks`` of a WhatsApp template) is the components list of the
Cloud API's template object, with our named placeholders where Meta has ``{{1}}``:

    [{"type": "HEADER", "format": "TEXT", "text": "Promo {{campaign.name}}"}
       or {"type": "HEADER", "format": "IMAGE" | "DOCUMENT", "media": <asset id>, "filename": …},
     {"type": "BODY", "text": "Halo {{customer.first_name}}, …"},
     {"type": "FOOTER", "text": "Bank Amanah"},
     {"type": "BUTTONS", "buttons": [
         {"type": "QUICK_REPLY", "text": "Tertarik"},
         {"type": "URL", "text": "Lihat", "url": "https://…/{{promo.code}}"},
         {"type": "PHONE_NUMBER", "text": "Telepon", "phone_number": "+62…"}]}]

``clean_components`` refuses anything else, naming the form's field (``header_text``,
``body``, ``buttons-1-value`` …), with the Cloud API's limits: header text 60 characters and
at most one placeholder; body 1,024 and not starting or ending with a placeholder; footer 60
without placeholders; at most 10 buttons — at most 2 URL and 1 phone number, quick replies
kept together —, button text 25 without placeholders, an ``https://`` URL of at most 2,000
with at most one placeholder and only at its end, a phone number in E.164. Placeholders
obey the same allow-list as every template (``templating.check_body``). A media header
names an asset of the library of the right kind (``messaging.media``).

Sending (``templating.render``): the body's values are the positional body parameters as
before; the header's and the URL buttons' values are added to ``Rendered.parameters`` as
``{"component": "header" | "button", …}`` items, which the adapter turns into the header and
button components of the send (``providers.whatsapp.request_body``); a media header becomes
``Rendered.media_url`` (the asset's signed link). ``provider_components`` gives the
registration shape Meta reviews (``{{1}}`` … with examples from the sample values).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.errors import ServiceError
from amanah.messaging import media, templating
from amanah.messaging.models import MediaKind

HEADER_FORMATS = {
    "TEXT": gettext_lazy("Teks"),
    "IMAGE": gettext_lazy("Gambar"),
    "DOCUMENT": gettext_lazy("Dokumen (PDF)"),
}
BUTTON_TYPES = {
    "QUICK_REPLY": gettext_lazy("Balas cepat"),
    "URL": gettext_lazy("Kunjungi situs (URL)"),
    "PHONE_NUMBER": gettext_lazy("Telepon"),
}
HEADER_TEXT_MAX = 60
BODY_MAX = 1024
FOOTER_MAX = 60
BUTTONS_MAX = 10
BUTTON_TEXT_MAX = 25
URL_MAX = 2000
MAX_PER_TYPE = {"URL": 2, "PHONE_NUMBER": 1, "QUICK_REPLY": 10}
E164 = re.compile(r"\+[1-9][0-9]{6,18}")
HTTPS = re.compile(r"https://[^\s<>\"'`{}]+")
ORDER = ("HEADER", "BODY", "FOOTER", "BUTTONS")


def _refuse(code: str, message, field: str) -> ServiceError:
    return ServiceError(code, str(message), field=field)


def _text(value, *, field: str, limit: int, required: bool = True, one_line=False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _refuse("text_required", _("Kolom ini wajib diisi."), field)
    if len(text) > limit or "\x00" in text:
        raise _refuse("text_too_long", _("Maks. %d karakter.") % limit, field)
    if one_line and ("\n" in text or "\r" in text):
        raise _refuse("text_multiline", _("Satu baris saja, tanpa ganti baris."), field)
    return text


def _no_placeholder(text: str, field: str) -> None:
    if "{{" in text or "}}" in text:
        raise _refuse("variable_not_allowed", _("Bagian ini tidak boleh memakai variabel."), field)


def clean_components(
    components, *, purpose: str, media_of: Callable[[str], object | None]
) -> list[dict]:
    """The design, checked (see the module docstring); returns the cleaned components in
    the Cloud API's order. ``media_of(id)`` is the actor's view of the media library."""
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise _refuse("components_invalid", _("Susunan templat tidak sah."), "components")
    by_type: dict[str, dict] = {}
    for component in components:
        kind = component.get("type")
        if kind not in ORDER or kind in by_type:
            raise _refuse("components_invalid", _("Susunan templat tidak sah."), "components")
        by_type[kind] = component
    if "BODY" not in by_type:
        raise _refuse("text_required", _("Isi pesan wajib diisi."), "body")
    cleaners = {
        "HEADER": lambda c: _header(c, purpose, media_of),
        "BODY": lambda c: _body(c, purpose),
        "FOOTER": _footer,
        "BUTTONS": lambda c: _buttons(c, purpose),
    }
    return [cleaners[kind](by_type[kind]) for kind in ORDER if kind in by_type]


def _header(component: dict, purpose: str, media_of) -> dict:
    fmt = component.get("format")
    if fmt not in HEADER_FORMATS:
        raise _refuse("header_format_invalid", _("Pilih jenis kepala."), "header_format")
    if fmt == "TEXT":
        text = _text(
            component.get("text"), field="header_text", limit=HEADER_TEXT_MAX, one_line=True
        )
        names = templating.check_body(text, purpose=purpose, field="header_text")
        if len(names) > 1:
            raise _refuse(
                "header_variables", _("Kepala teks paling banyak satu variabel."), "header_text"
            )
        return {"type": "HEADER", "format": "TEXT", "text": text}
    asset = media_of(str(component.get("media") or ""))
    wanted = MediaKind.IMAGE if fmt == "IMAGE" else MediaKind.DOCUMENT
    if asset is None or asset.kind != wanted:
        raise _refuse(
            "header_media_invalid",
            _("Pilih %(kind)s dari pustaka media.") % {"kind": MediaKind(wanted).label.lower()},
            "header_media",
        )
    return {
        "type": "HEADER",
        "format": fmt,
        "media": str(asset.pk),
        "filename": media.file_name(asset),
    }


def _body(component: dict, purpose: str) -> dict:
    text = _text(component.get("text"), field="body", limit=BODY_MAX)
    templating.check_body(text, purpose=purpose, field="body")
    # check_body left only whole placeholders: braces at an edge are one of them
    if text.startswith("{{") or text.endswith("}}"):
        raise _refuse(
            "body_variable_edge",
            _("Isi pesan tidak boleh diawali atau diakhiri variabel (aturan WhatsApp)."),
            "body",
        )
    return {"type": "BODY", "text": text}


def _footer(component: dict) -> dict:
    text = _text(component.get("text"), field="footer", limit=FOOTER_MAX, one_line=True)
    _no_placeholder(text, "footer")
    return {"type": "FOOTER", "text": text}


def _buttons(component: dict, purpose: str) -> dict:
    buttons = component.get("buttons")
    if (
        not isinstance(buttons, list)
        or not buttons
        or not all(isinstance(b, dict) for b in buttons)
    ):
        raise _refuse("buttons_invalid", _("Tambahkan minimal satu tombol."), "buttons")
    if len(buttons) > BUTTONS_MAX:
        raise _refuse("buttons_too_many", _("Paling banyak %d tombol.") % BUTTONS_MAX, "buttons")
    cleaned = [_button(i, button, purpose) for i, button in enumerate(buttons)]
    kinds = [b["type"] for b in cleaned]
    for kind, limit in MAX_PER_TYPE.items():
        if kinds.count(kind) > limit:
            raise _refuse(
                "buttons_type_limit",
                _("Paling banyak %(n)d tombol %(kind)s.")
                % {"n": limit, "kind": BUTTON_TYPES[kind]},
                "buttons",
            )
    quick = [i for i, kind in enumerate(kinds) if kind == "QUICK_REPLY"]
    if quick and quick[-1] - quick[0] + 1 != len(quick):
        raise _refuse(
            "buttons_not_grouped",
            _("Tombol balas cepat harus berurutan (dikelompokkan), tidak diselingi tombol lain."),
            "buttons",
        )
    return {"type": "BUTTONS", "buttons": cleaned}


def _button(index: int, button: dict, purpose: str) -> dict:
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise _refuse("button_type_invalid", _("Pilih jenis tombol."), f"buttons-{index}-type")
    text = _text(
        button.get("text"), field=f"buttons-{index}-text", limit=BUTTON_TEXT_MAX, one_line=True
    )
    _no_placeholder(text, f"buttons-{index}-text")
    field = f"buttons-{index}-value"
    if kind == "QUICK_REPLY":
        if button.get("url") or button.get("phone_number"):
            raise _refuse(
                "button_value_unused", _("Tombol balas cepat tidak memakai tautan/nomor."), field
            )
        return {"type": kind, "text": text}
    if kind == "PHONE_NUMBER":
        number = str(button.get("phone_number") or "").replace(" ", "").replace("-", "")
        if not E164.fullmatch(number):
            raise _refuse(
                "button_phone_invalid",
                _("Nomor telepon dengan kode negara, mis. +62215551234 (maks. 20 karakter)."),
                field,
            )
        return {"type": kind, "text": text, "phone_number": number}
    return {
        "type": kind,
        "text": text,
        "url": _url(str(button.get("url") or "").strip(), purpose, field),
    }


def _url(url: str, purpose: str, field: str) -> str:
    if len(url) > URL_MAX:
        raise _refuse("button_url_invalid", _("Tautan maks. %d karakter.") % URL_MAX, field)
    names = templating.check_body(url, purpose=purpose, field=field)
    fixed = templating.PLACEHOLDER.sub("", url)
    at_end = templating.PLACEHOLDER.search(url)
    if len(names) > 1 or (names and at_end.end() != len(url)):
        raise _refuse(
            "button_url_variable",
            _("Tautan boleh memakai satu variabel, hanya di bagian akhir."),
            field,
        )
    if not HTTPS.fullmatch(fixed):
        raise _refuse("button_url_invalid", _("Tautan harus diawali https://."), field)
    return url


# --------------------------------------------------------------------------- reading a design


def part(components: list, kind: str) -> dict | None:
    return next((c for c in components or () if c.get("type") == kind), None)


def body_text(components: list) -> str:
    return (part(components, "BODY") or {}).get("text", "")


def texts(components: list) -> list[str]:
    """Every text of the design that may hold a placeholder besides the body."""
    header = part(components, "HEADER") or {}
    buttons = (part(components, "BUTTONS") or {}).get("buttons", [])
    return [header.get("text", ""), *(b.get("url", "") for b in buttons)]


def extra_parameters(components: list, value: Callable[[str], str]) -> list[dict]:
    """The header's and URL buttons' parameter values, in the adapter's items (see above)."""
    items = []
    header = part(components, "HEADER") or {}
    for name in templating.placeholders(header.get("text", "")):
        items.append({"component": "header", "text": value(name)})
    for index, button in enumerate((part(components, "BUTTONS") or {}).get("buttons", [])):
        for name in templating.placeholders(button.get("url", "")):
            items.append(
                {"component": "button", "sub_type": "url", "index": index, "text": value(name)}
            )
    return items


def header_media_url(components: list) -> str:
    header = part(components, "HEADER") or {}
    if header.get("format") not in ("IMAGE", "DOCUMENT"):
        return ""
    return media.public_url(header["media"], header["filename"])


def bubble(components: list, body: str, value: Callable[[str], str]) -> dict:
    """What the phone-width preview draws: every part filled with ``value`` (sample values)."""
    header = dict(part(components, "HEADER") or {})
    if header.get("format") == "TEXT":
        header["text"] = templating.PLACEHOLDER.sub(lambda m: value(m.group(1)), header["text"])
    elif header:
        header["path"] = media.path(header["media"], header["filename"])
    buttons = [
        {**b, "url": templating.PLACEHOLDER.sub(lambda m: value(m.group(1)), b.get("url", ""))}
        for b in (part(components, "BUTTONS") or {}).get("buttons", [])
    ]
    return {
        "header": header,
        "body": body,
        "footer": (part(components, "FOOTER") or {}).get("text", ""),
        "buttons": buttons,
    }


def _numbered(text: str, samples: list, value: Callable[[str], str]) -> str:
    def number(match: re.Match) -> str:
        samples.append(value(match.group(1)))
        return f"{{{{{len(samples)}}}}}"

    return templating.PLACEHOLDER.sub(number, text)


def provider_components(components: list, value: Callable[[str], str]) -> list[dict]:
    """The registration shape Meta reviews: ``{{1}}`` … with examples (sample values)."""
    shaped = []
    for component in components:
        kind = component["type"]
        if kind == "HEADER" and component["format"] == "TEXT":
            samples: list = []
            text = _numbered(component["text"], samples, value)
            shaped.append(
                {"type": kind, "format": "TEXT", "text": text}
                | ({"example": {"header_text": samples}} if samples else {})
            )
        elif kind == "HEADER":
            shaped.append({"type": kind, "format": component["format"]})
        elif kind == "BODY":
            samples = []
            text = _numbered(component["text"], samples, value)
            shaped.append(
                {"type": kind, "text": text}
                | ({"example": {"body_text": [samples]}} if samples else {})
            )
        elif kind == "FOOTER":
            shaped.append(dict(component))
        else:
            shaped.append(
                {
                    "type": kind,
                    "buttons": [_provider_button(b, value) for b in component["buttons"]],
                }
            )
    return shaped


def _provider_button(button: dict, value: Callable[[str], str]) -> dict:
    if button["type"] != "URL":
        return dict(button)
    samples: list = []
    url = _numbered(button["url"], samples, value)
    filled = templating.PLACEHOLDER.sub(lambda m: value(m.group(1)), button["url"])
    return {**button, "url": url} | ({"example": [filled]} if samples else {})
