"""Field types shared by every app: the database's own types and the bounded input types.

Every date a person or a client types goes through ``BoundedDateField`` (forms) or
``BoundedDate`` (API schemas): years 1900–2100, refused with the code ``date_out_of_range``
otherwise, so ``9999-12-31`` never reaches date arithmetic (``+ 1 day`` overflows) or the
database. Text in API schemas declares its length with ``Text(n)``.

Every amount of rupiah goes through ``RupiahField`` (forms) or ``Rupiah``/``RupiahSen`` (API
schemas), both reading by ``core.money``'s one rule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from amanah.core.money import (
    MACHINE,
    PERSON,
    RUPIAH_INVALID,
    RUPIAH_MAX_DIGITS,  # noqa: F401 — re-exported: the limit the ledger checks too
    WHOLE,
    WITH_SEN,
    Amount,
    AmountRefused,
    format_rupiah,
)

MIN_YEAR, MAX_YEAR = 1900, 2100
DATE_OUT_OF_RANGE = "date_out_of_range"
# Codes the API reports as its error code when a schema refuses a value.
HOUSE_ERROR_CODES = frozenset({DATE_OUT_OF_RANGE, RUPIAH_INVALID})


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


class RupiahField(forms.Field):
    """An amount of rupiah as a person types it, read by the house's one rule
    (``core.money``, source ``PERSON``): ``500.000``, ``Rp 1.500.000``, ``1.500.000,00``;
    shown back with dots (``1.500.000``) so that a form sent again reads the same. Anything
    it cannot read as meant (``1.5``, ``1,500``, ``1500.00``, letters) is refused with the
    reason and an example, never a 500.

    Whole rupiah (an ``int``) unless ``sen`` (a ``Decimal`` with two places); negatives only
    with ``allow_negative``; ``min_value``/``max_value`` refused with the limit in rupiah.
    """

    widget = forms.TextInput

    def __init__(
        self,
        *,
        sen: bool = False,
        allow_negative: bool = False,
        min_value=None,
        max_value=None,
        **kwargs,
    ):
        self.amount = Amount(sen=sen, negative=allow_negative)
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        if min_value is not None:
            self.validators.append(_AtLeast(min_value))
        if max_value is not None:
            self.validators.append(_AtMost(max_value))

    @property
    def allow_negative(self) -> bool:
        return self.amount.negative

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "inputmode": "decimal" if self.amount.sen else "numeric",
                "autocomplete": "off",
                "placeholder": "1.500.000",
            }
        )
        return attrs

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self.amount.read(value, source=PERSON)
        except AmountRefused as refused:
            raise ValidationError(refused.message, code=refused.code) from None

    def prepare_value(self, value):
        """Shown with dots, typed or stored alike; what cannot be read stays as typed."""
        if isinstance(value, str):
            try:
                value = self.amount.read(value, source=PERSON)
            except AmountRefused:
                return value
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return format_rupiah(value)
        return value


class _RupiahLimit:
    """The limit of a ``RupiahField`` said in rupiah (``Rp 10.000.000``), not as a bare number."""

    def __call__(self, value):
        if self.compare(value, self.limit_value):
            raise ValidationError(
                self.message, code=self.code, params={"limit": format_rupiah(self.limit_value)}
            )


class _AtLeast(_RupiahLimit, MinValueValidator):
    message = _("Nominal paling sedikit Rp %(limit)s.")


class _AtMost(_RupiahLimit, MaxValueValidator):
    message = _("Nominal paling banyak Rp %(limit)s.")


def _api_amount(spec: Amount):
    def read(value):
        try:
            return spec.read(value, source=MACHINE)
        except AmountRefused as refused:
            raise PydanticCustomError(RUPIAH_INVALID, refused.message) from None

    return read


_API_AMOUNT_SCHEMA = {
    "anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}],
    "description": "Rupiah: a JSON number (500000, 1500000.5), or text as written in Indonesia "
    '("Rp 1.500.000", "1.500.000,00") or by a machine ("1500000.00"). "1,500" and '
    '"1500.000" are refused (rupiah_invalid).',
    "examples": [1500000, "1.500.000"],
}
# API schema fields holding rupiah: a JSON number as it is, or a string read by the house's
# one rule (``core.money``, source MACHINE); refused with the code ``rupiah_invalid``.
Rupiah = Annotated[
    int, WHOLE, PlainValidator(_api_amount(WHOLE)), WithJsonSchema(_API_AMOUNT_SCHEMA)
]
RupiahSen = Annotated[
    Decimal, WITH_SEN, PlainValidator(_api_amount(WITH_SEN)), WithJsonSchema(_API_AMOUNT_SCHEMA)
]
