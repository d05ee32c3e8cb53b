"""Tariff block arithmetic, in one place: the Python reference (``water_amount``) and the
same arithmetic as SQL for the set-based billing run (``BLOCK_SQL``); a property test holds
them to each other and to a straightforward reference.

A group's blocks ``(from_m3, to_m3 | None, price)`` start at 0, follow each other without gap
or overlap and end open-ended (``check_blocks``). The usage in a block is
``max(0, min(usage, to) - from)``; the water price is the sum over blocks of that × price."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError

Block = tuple[int, int | None, int]
PRICE_MAX = 10_000_000  # rupiah per m³
M3_MAX = 1_000_000
BLOCKS_MAX = 20


def check_blocks(blocks: Sequence[Block]) -> list[Block]:
    """The blocks sorted by start, or a refusal naming the first problem."""
    if not blocks:
        raise ServiceError("blocks_empty", _("Isi sedikitnya satu blok tarif."), field="blocks")
    if len(blocks) > BLOCKS_MAX:
        raise ServiceError(
            "blocks_too_many", _("Maks. %(n)d blok tarif.") % {"n": BLOCKS_MAX}, field="blocks"
        )
    cleaned = []
    for start, end, price in blocks:
        for value in (start, end, price):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ServiceError(
                    "block_invalid", _("Batas dan harga blok harus bilangan bulat."), field="blocks"
                )
        if start < 0 or (end is not None and end > M3_MAX) or not 0 <= price <= PRICE_MAX:
            raise ServiceError(
                "block_out_of_range",
                _("Batas blok 0–%(m3)s m³, harga 0–%(price)s rupiah per m³.")
                % {
                    "m3": f"{M3_MAX:,}".replace(",", "."),
                    "price": f"{PRICE_MAX:,}".replace(",", "."),
                },
                field="blocks",
            )
        if end is not None and end <= start:
            raise ServiceError(
                "block_empty",
                _("Blok %(start)s–%(end)s m³: batas atas harus lebih besar dari batas bawah.")
                % {"start": start, "end": end},
                field="blocks",
            )
        cleaned.append((start, end, price))
    cleaned.sort(key=lambda b: b[0])
    if cleaned[0][0] != 0:
        raise ServiceError(
            "blocks_not_from_zero", _("Blok pertama harus mulai dari 0 m³."), field="blocks"
        )
    for (start, end, _p), (next_start, _e, _q) in zip(cleaned, cleaned[1:], strict=False):
        if end is None:
            raise ServiceError(
                "block_open_not_last",
                _("Hanya blok terakhir yang boleh tanpa batas atas."),
                field="blocks",
            )
        if next_start > end:
            raise ServiceError(
                "blocks_gap",
                _("Ada celah antara %(end)s dan %(next)s m³: blok harus bersambung.")
                % {"end": end, "next": next_start},
                field="blocks",
            )
        if next_start < end:
            raise ServiceError(
                "blocks_overlap",
                _("Blok %(start)s–%(end)s m³ tumpang tindih dengan blok berikutnya.")
                % {"start": start, "end": end},
                field="blocks",
            )
    if cleaned[-1][1] is not None:
        raise ServiceError(
            "blocks_not_open",
            _("Blok terakhir harus tanpa batas atas (pemakaian di atas %(end)s m³).")
            % {"end": cleaned[-1][1]},
            field="blocks",
        )
    return cleaned


def water_amount(blocks: Sequence[Block], usage: int) -> int:
    """Rupiah for ``usage`` m³ over checked ``blocks``."""
    total = 0
    for start, end, price in blocks:
        upper = usage if end is None else min(usage, end)
        if upper > start:
            total += (upper - start) * price
    return total


# The same for one connection in SQL: ``u`` is the usage, ``g`` the tariff group's id.
BLOCK_SQL = """(SELECT COALESCE(SUM(b.price * GREATEST(0, LEAST({u}, COALESCE(b.to_m3, {u}))
                                           - b.from_m3)), 0)
                  FROM utility_tariffblock b WHERE b.group_id = {g})"""
