"""Field types shared by every app: the database's own types and the bounded input types.

Every date a person or a client types goes through ``BoundedDateField`` (forms) or
``BoundedDate`` (API schemas): years 1900–2100, refused with the code ``date_out_of_range``
otherwise, so ``9999-12-31`` never reaches date arithmetic (``+ 1 day`` overflows) or the
database. Text in API schemas declares its length with ``Text(n)``.
"""

from __future__ import annotations

import datetime as dt
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
