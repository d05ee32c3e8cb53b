"""Rupiah: the one reading of an amount, wherever it comes from.

Every amount the house is given — a form field, the field app, an API body, an import
column, a setting — is read here, by ``read_amount`` (or an ``Amount``'s ``read``), and shown
back by ``format_rupiah``. Indonesians write thousands with a dot and sen with a comma
(``1.500.000,00``); machines send numbers, or text with a decimal point (``1500000.00``).

What is read (both sources)
    ``500.000`` · ``Rp 1.500.000`` · ``Rp. 1.500.000,00`` · ``IDR 1.500.000`` ·
    ``1.500.000,-`` · ``1 500 000`` (spaces, also non-breaking) · ``2500000`` · ``1.500``
    (one thousand five hundred: a dot before three digits groups thousands) · sen after a
    comma, one or two digits (``1.500.000,5`` is Rp 1.500.000 and 50 sen) where the field
    holds sen; a whole-rupiah field takes only ``,00``/``,-``. Negative amounts
    (``-1.000``, ``Rp -1.000``, ``-Rp 1.000``) only where the field allows them.
    A number (``int``, ``Decimal``, a JSON or spreadsheet ``float``) is taken as it is: whole,
    or with at most two decimals where the field holds sen. A ``float`` (a JSON number with a
    fraction) is read only below Rp 10 triliun, where its 15 digits hold rupiah and sen
    exactly; above, it may not be the number that was sent, and it is refused (send text).

What is refused, with a message saying how to write it (never guessed)
    ``1,500`` and ``1,500,000`` (a comma before three digits: the English thousands, or
    three decimals?), ``1.50.000`` and ``1.000.0000`` (broken groups), ``0.500``, a mix of
    dots and spaces, ``1e6``, letters, more than 15 digits of rupiah, more than two decimals;
    and from a person ``1.5``, ``1500.00``, ``2.50``: a dot before one or two digits is a
    decimal point, which an Indonesian does not type — ``2.00`` from a person is as likely a
    slip for ``2.000`` as two rupiah, so it is asked again rather than read either way.

The source decides that last case (``PERSON`` or ``MACHINE``)
    ``MACHINE`` — an import file, an API body's string, a setting — also reads the plain
    decimal point ``1500000.00`` / ``1500000.5`` (digits, a dot, one or two digits, no
    grouping): core banking exports and gateways' reports write it, and it has no
    Indonesian reading (a thousands group always has three digits), so it cannot be taken
    for thousands. Everything ``PERSON`` reads, ``MACHINE`` reads the same
    (``core/tests/test_money.py`` holds both to that with hypothesis).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

PERSON = "person"
MACHINE = "machine"
RUPIAH_INVALID = "rupiah_invalid"
RUPIAH_MAX_DIGITS = 15  # Rp 999 triliun: above any single amount the house books
_SEN = Decimal("0.01")

_PREFIX = re.compile(r"(?:rp\.?|idr)\s*", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")
# thousands grouped with one separator throughout: dots, or (non-breaking) spaces
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[1-9][0-9]{0,2}(?:[ \u00a0][0-9]{3})+")
_POINT = re.compile(r"([0-9]+)\.([0-9]{1,2})")  # a decimal point: no Indonesian reading
_POINTED = re.compile(r"[0-9.]*\.[0-9]{1,2}")
_COMMAS = re.compile(r"[0-9,]+")
_SEPARATORS = re.compile(r"[. \u00a0]")
_TOO_LARGE = Decimal(10) ** RUPIAH_MAX_DIGITS
_FLOAT_EXACT = 10**13  # a float (a JSON number with a fraction) below it holds its sen exactly


class AmountRefused(ValueError):
    """An amount that cannot be read as meant: ``code`` (``rupiah_invalid``) and ``message``,
    the reason for people in Indonesian with an example of how to write it."""

    code = RUPIAH_INVALID

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


def _refused_format() -> AmountRefused:
    return AmountRefused(
        _("Tulis nominal rupiah dengan angka, misalnya 1.500.000 atau 1.500.000,00.")
    )


def _refused_point() -> AmountRefused:
    return AmountRefused(
        _("Titik memisahkan ribuan dan koma memisahkan sen: tulis 1.500.000 atau 1.500.000,50.")
    )


def _refused_comma() -> AmountRefused:
    return AmountRefused(
        _("Koma memisahkan sen (paling banyak dua angka); ribuan ditulis dengan titik: 1.500.000.")
    )


def _refused_decimals() -> AmountRefused:
    return AmountRefused(_("Paling banyak dua angka sen, misalnya 1.500.000,50."))


def _refused_sen() -> AmountRefused:
    return AmountRefused(_("Nominal ini dalam rupiah penuh, tanpa sen, misalnya 1.500.000."))


def _refused_size() -> AmountRefused:
    return AmountRefused(
        _("Nominal terlalu besar (paling banyak %(n)d angka); contoh penulisan: 1.500.000.")
        % {"n": RUPIAH_MAX_DIGITS}
    )


def _split_sign(text: str) -> tuple[bool, str]:
    """``-1.000``, ``Rp -1.000``, ``-Rp 1.000`` → (negative, ``1.000``)."""
    negative = text.startswith("-")
    if negative:
        text = text[1:].lstrip()
    prefix = _PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    if not negative and text.startswith("-"):
        negative, text = True, text[1:].lstrip()
    return negative, text


def _read_text(text: str, source: str) -> Decimal:
    negative, text = _split_sign(text.strip())
    if text.endswith(",-"):  # "Rp 1.500.000,-": no sen
        text = text[:-2]
    whole, comma, sen = text.partition(",")
    if comma and not (_DIGITS.fullmatch(sen) and len(sen) <= 2):
        # "1,500" or "1,500,000": the English thousands, or three decimals?
        raise _refused_comma() if _COMMAS.fullmatch(sen) else _refused_format()
    if _DIGITS.fullmatch(whole):
        digits = whole
    elif _GROUPED.fullmatch(whole):
        digits = _SEPARATORS.sub("", whole)
    elif not comma and (point := _POINT.fullmatch(whole)):
        if source != MACHINE:
            raise _refused_point()
        digits, sen = point.groups()
    elif not comma and _POINTED.fullmatch(whole):  # "1.500.00": a decimal point at the end
        raise _refused_point()
    else:
        raise _refused_format()
    if len(digits.lstrip("0")) > RUPIAH_MAX_DIGITS:
        raise _refused_size()
    value = Decimal(f"{digits}.{sen or '0'}")
    return -value if negative else value


def _read_number(value) -> Decimal:
    if isinstance(value, float):
        # a float holds 15 significant digits: rupiah and two decimals below 10^13, exactly
        if abs(value) >= _FLOAT_EXACT:
            raise AmountRefused(
                _(
                    "Angka pecahan ini terlalu besar untuk dibaca tepat; kirim sebagai teks, "
                    'misalnya "1.500.000,50".'
                )
            )
        value = Decimal(repr(value))  # the shortest text that is this float: 0.1 stays 0.1
    elif isinstance(value, int):
        value = Decimal(value)
    if not value.is_finite():
        raise _refused_format()
    if abs(value) >= _TOO_LARGE:
        raise _refused_size()
    if value != value.quantize(_SEN):
        raise _refused_decimals()
    return value


def read_amount(
    value, *, source: str = PERSON, sen: bool = False, negative: bool = False
) -> int | Decimal:
    """The amount meant by ``value`` (text, or a number as it is): an ``int`` of whole rupiah,
    or with ``sen`` a ``Decimal`` with two places. Raises ``AmountRefused`` with the reason.
    ``source`` is ``PERSON`` (a form, the field app) or ``MACHINE`` (files, API, settings);
    see the module's docstring for what each reads."""
    if isinstance(value, str):
        if value.isascii() and value.isdigit():  # the common case, fast
            if len(value.lstrip("0")) > RUPIAH_MAX_DIGITS:
                raise _refused_size()
            amount = Decimal(value)
        else:
            amount = _read_text(value, source)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        amount = _read_number(value)
    else:
        raise _refused_format()
    if amount < 0 and not negative:
        raise AmountRefused(_("Nominal tidak boleh negatif, misalnya 1.500.000."))
    if not sen:
        if amount != amount.to_integral_value():
            raise _refused_sen()
        return int(amount)
    return amount.quantize(_SEN)


@dataclass(frozen=True)
class Amount:
    """How a field holds rupiah: whole (``int``) or with ``sen`` (``Decimal``, two places);
    negative amounts only with ``negative``. The marker a form field, an API type and an
    import column carry (``core.fields.RupiahField``, ``Rupiah``/``RupiahSen``,
    ``ImportField(amount=…)``), so that a generic test finds every field that holds money."""

    sen: bool = False
    negative: bool = False

    def read(self, value, *, source: str) -> int | Decimal:
        return read_amount(value, source=source, sen=self.sen, negative=self.negative)


WHOLE = Amount()
WITH_SEN = Amount(sen=True)


def format_rupiah(value) -> str:
    """``1500000`` → ``1.500.000``; sen after a comma only when there are some
    (``Decimal("1500000.50")`` → ``1.500.000,50``). The Indonesian grouping whatever the
    page's language, so that a form shown back reads the same when it is sent again."""
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    cents = int((abs(amount) * 100).to_integral_value())
    whole, sen = divmod(cents, 100)
    text = f"{whole:,}".replace(",", ".") + (f",{sen:02d}" if sen else "")
    return "-" + text if amount < 0 and cents else text


def service_amount(value, *, low, high, sen: bool = False, refuse) -> int | Decimal:
    """A service's reading of an amount it was handed — a number a form or schema read, or
    text from a machine (a setting, a file; the ``MACHINE`` rule) — within ``low``..``high``;
    ``refuse()`` answers the service's own ``ServiceError`` (its code, message and field)."""
    try:
        amount = read_amount(value, source=MACHINE, sen=sen, negative=low < 0)
    except AmountRefused:
        raise refuse() from None
    if not low <= amount <= high:
        raise refuse()
    return amount


__all__ = [
    "MACHINE",
    "PERSON",
    "RUPIAH_INVALID",
    "RUPIAH_MAX_DIGITS",
    "WHOLE",
    "WITH_SEN",
    "Amount",
    "AmountRefused",
    "format_rupiah",
    "read_amount",
    "service_amount",
]
