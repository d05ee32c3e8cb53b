"""Field types shared by every app: the database's own types and the bounded input types.

Every date a person or a client types goes through ``BoundedDateField`` (forms) or
``BoundedDate`` (API schemas): years 1900–2100, refused with the code ``date_out_of_range``
otherwise, so ``9999-12-31`` never reaches date arithmetic (``+ 1 day`` overflows) or the
database. Text in API schemas declares its length with ``Text(n)``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

MIN_YEAR, MAX_YEAR = 1900, 2100
DATE_OUT_OF_RANGE = "date_out_of_range"
# Codes the API reports as its error code when a schema refuses a value.
HOUSE_ERROR_CODES = frozenset({DATE_OUT_OF_RANGE})


class CITextField(models.TextField):
    """PostgreSQL ``citext``: compares case-insensitively (usernames, emails; seed 003 Bab 13.2)."""

    def db_type(self, connection):
        return "citext"


def date_in_range(value: dt.date | None) -> bool:
    return value is None or MIN_YEAR <= value.year <= MAX_YEAR


def _out_of_range_message() -> str:
    return str(
        _("Tanggal harus antara tahun %(min)d dan %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}
    )


class _BoundedYearsMixin:
    def validate(self, value):
        super().validate(value)
        if value is not None and not date_in_range(value):
            raise ValidationError(_out_of_range_message(), code=DATE_OUT_OF_RANGE)


class BoundedDateField(_BoundedYearsMixin, forms.DateField):
    """A form date between 1900 and 2100."""


class BoundedDateTimeField(_BoundedYearsMixin, forms.DateTimeField):
    """A form date-time between 1900 and 2100."""


def _check_api_date(value):
    if not date_in_range(value):
        raise PydanticCustomError(DATE_OUT_OF_RANGE, _out_of_range_message())
    return value


BoundedDate = Annotated[dt.date, AfterValidator(_check_api_date)]
BoundedDateTime = Annotated[dt.datetime, AfterValidator(_check_api_date)]


def Text(max_length: int, *, min_length: int = 0):  # noqa: N802 — reads as a type in schemas
    """A string of at most ``max_length`` characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
    ]


RUPIAH_INVALID = "rupiah_invalid"
RUPIAH_MAX_DIGITS = 15  # Rp 999 triliun: above any single amount the bank books


class RupiahField(forms.IntegerField):
    """A whole-rupiah amount as Indonesians type it: ``500.000.000``, ``Rp 1.500.000``,
    ``1 500 000`` or ``2500000``; shown back with dots (``1.500.000``).

    Dots and spaces are thousand separators; a decimal comma is accepted only as ``,00``
    (the bank books whole rupiah). Negatives are refused unless ``allow_negative``; anything
    else (letters, ``1.5``, ``12,34``) is refused with one clear message, never a 500.
    """

    widget = forms.TextInput

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        kwargs.setdefault("min_value", None if allow_negative else 0)
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("min", None), attrs.pop("max", None), attrs.pop("step", None)
        attrs.update({"inputmode": "numeric", "autocomplete": "off", "placeholder": "1.500.000"})
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        digits = parse_rupiah(text)
        if digits is None:
            raise ValidationError(
                _("Tulis nominal rupiah dengan angka, misalnya 1.500.000."), code=RUPIAH_INVALID
            )
        if digits < 0 and not self.allow_negative:
            raise ValidationError(_("Nominal tidak boleh negatif."), code="min_value")
        return digits

    def prepare_value(self, value):
        """Shown with dots, typed or stored alike; what cannot be read stays as typed."""
        if isinstance(value, str):
            value = parse_rupiah(value) if parse_rupiah(value) is not None else value
        if isinstance(value, int) and not isinstance(value, bool):
            return format_rupiah(value)
        return value


def parse_rupiah(text: str) -> int | None:
    """The integer a person meant by ``text``, or None when it is not a rupiah amount."""
    text = text.strip()
    if text[:2].lower() == "rp":
        text = text[2:].lstrip(" .")
    negative = text.startswith("-")
    if negative:
        text = text[1:].lstrip()
    if text.endswith((",00", ",0", ",-")):
        text = text.rsplit(",", 1)[0]
    # groups of three after the first, separated by dots or (non-breaking) spaces; or bare digits
    if not re.fullmatch(r"\d{1,3}(?:[. \u00a0]\d{3})+|\d+", text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits.lstrip("0")) > RUPIAH_MAX_DIGITS:
        return None
    return -int(digits) if negative else int(digits)


def format_rupiah(value: int) -> str:
    """``1500000`` → ``1.500.000`` (the Indonesian grouping, whatever the page's language)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", ".")
