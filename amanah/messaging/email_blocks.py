"""The email template designer's blocks (seed 001 §6E): header, text, image, button, footer,
checked and turned into responsive HTML plus its plain-text twin.

A design is a list of ``{"type": …, "text": …, "url": …}``. ``clean_blocks`` refuses
anything else with the field named (``blocks-2-url``): unknown types, empty or overlong
text, image and button links that are not ``https://`` (a link may also be one allow-listed
placeholder), and — through ``templating.check_body``, the same rule every template obeys —
any placeholder outside the messaging allow-list of the template's purpose, named.

``render_html`` writes the table layout email clients understand: a 600 px column that
shrinks to the screen (``width="100%"`` with ``max-width``), presentational attributes
first (they also show in the page's sandboxed preview, where the Content Security Policy
keeps inline styles out) and inline styles for the clients. Every text is HTML-escaped here;
placeholders survive escaping and are filled, escaped again, when a message is rendered.
"""

from __future__ import annotations

import re
from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.errors import ServiceError
from amanah.messaging import templating

BLOCK_TYPES = {
    "header": gettext_lazy("Kepala"),
    "text": gettext_lazy("Teks"),
    "image": gettext_lazy("Gambar"),
    "button": gettext_lazy("Tombol"),
    "footer": gettext_lazy("Kaki"),
}
MAX_BLOCKS = 20
TEXT_MAX = {"header": 120, "text": 2000, "image": 200, "button": 40, "footer": 500}
URL_MAX = 500
HTTPS_URL = re.compile(r"https://[^\s<>\"'`]+")
ONE_PLACEHOLDER = re.compile(r"\{\{\s*[a-z_]+\.[a-z_]+\s*\}\}")
# Which blocks carry a link (and need one) and which text they need.
NEEDS_URL = {"image", "button"}


def _field(index: int, name: str) -> str:
    return f"blocks-{index}-{name}"


def clean_blocks(blocks: list, *, purpose: str) -> list[dict]:
    """The design, checked (see the module docstring); returns the cleaned blocks."""
    if not isinstance(blocks, list) or not blocks:
        raise ServiceError("blocks_required", _("Tambahkan minimal satu blok."), field="blocks")
    if len(blocks) > MAX_BLOCKS:
        raise ServiceError(
            "blocks_too_many", _("Paling banyak %d blok.") % MAX_BLOCKS, field="blocks"
        )
    cleaned = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            raise ServiceError(
                "block_type_invalid", _("Jenis blok tidak dikenal."), field=_field(index, "type")
            )
        kind = block["type"]
        text = str(block.get("text") or "").strip()
        url = str(block.get("url") or "").strip()
        if not text:
            raise ServiceError(
                "block_text_required",
                _("Isi teks blok ini (teks alternatif untuk gambar)."),
                field=_field(index, "text"),
            )
        if len(text) > TEXT_MAX[kind] or "\x00" in text:
            raise ServiceError(
                "block_text_too_long",
                _("Teks blok ini maks. %d karakter.") % TEXT_MAX[kind],
                field=_field(index, "text"),
            )
        templating.check_body(text, purpose=purpose, field=_field(index, "text"))
        if kind in NEEDS_URL:
            if len(url) > URL_MAX or not (
                HTTPS_URL.fullmatch(url) or ONE_PLACEHOLDER.fullmatch(url)
            ):
                raise ServiceError(
                    "block_url_invalid",
                    _("Tautan harus diawali https:// (atau satu variabel yang diizinkan)."),
                    field=_field(index, "url"),
                )
            templating.check_body(url, purpose=purpose, field=_field(index, "url"))
        elif url:
            raise ServiceError(
                "block_url_unused",
                _("Blok jenis ini tidak memakai tautan."),
                field=_field(index, "url"),
            )
        cleaned.append({"type": kind, "text": text, "url": url if kind in NEEDS_URL else ""})
    return cleaned


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.splitlines())


def _row(inner: str, *, bgcolor: str = "#ffffff", align: str = "left") -> str:
    return (
        f'<tr><td bgcolor="{bgcolor}" align="{align}" '
        f'style="padding:16px 24px;font-family:Arial,Helvetica,sans-serif;'
        f'font-size:16px;line-height:1.5;color:#1f2933;">{inner}</td></tr>'
    )


def _block_html(block: dict) -> str:
    kind, text, url = block["type"], block["text"], escape(block["url"])
    if kind == "header":
        return _row(
            f'<h1 style="margin:0;font-size:24px;color:#ffffff;">{_lines(text)}</h1>',
            bgcolor="#0b5394",
        )
    if kind == "text":
        return _row(f'<p style="margin:0;">{_lines(text)}</p>')
    if kind == "image":
        return _row(
            f'<img src="{url}" alt="{escape(text)}" width="552" '
            f'style="display:block;width:100%;max-width:552px;height:auto;border:0;">',
            align="center",
        )
    if kind == "button":
        return _row(
            '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
            f'<td bgcolor="#0b5394" style="border-radius:6px;"><a href="{url}" '
            'style="display:inline-block;padding:12px 24px;color:#ffffff;'
            f'text-decoration:none;font-weight:bold;"><font color="#ffffff">{escape(text)}'
            "</font></a></td></tr></table>",
            align="center",
        )
    return _row(
        f'<p style="margin:0;font-size:12px;color:#52606d;"><small>{_lines(text)}</small></p>',
        bgcolor="#f0f4f8",
    )


def render_html(blocks: list[dict], *, title: str = "") -> str:
    """The responsive email (a 600 px column, full width on a phone)."""
    body = "".join(_block_html(block) for block in blocks)
    return (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>@media (max-width:620px){.amanah-column{width:100%!important;} }</style>"
        '</head><body style="margin:0;padding:0;background:#e4e7eb;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'bgcolor="#e4e7eb"><tr><td align="center" style="padding:12px 0;">'
        '<table role="presentation" class="amanah-column" width="100%" cellpadding="0" '
        'cellspacing="0" border="0" style="width:100%;max-width:600px;">'
        f"{body}</table></td></tr></table></body></html>"
    )


def render_text(blocks: list[dict]) -> str:
    """The plain-text part: every block's text in order, links after button labels."""
    parts = []
    for block in blocks:
        if block["type"] == "image":
            continue
        if block["type"] == "button":
            parts.append(f"{block['text']}: {block['url']}")
        else:
            parts.append(block["text"])
    return "\n\n".join(parts)
