"""The reader's time zone as people in Indonesia name it: WIB, WITA, WIT.

Pages, CSV headers and audit meta that show times in the reader's zone name it with
:func:`zone_label` — one helper, not a copy per app. (iam's ``TimeZoneChoice`` labels start
with the same names; a test holds the two together.) A moment is shown in one format with its
zone, ``DATETIME_FORMAT`` ("27 Nov 2026 14:05 WIB"): :func:`datetime_text` in Python, the
``when`` filter in templates.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import get_language

INDONESIAN_ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_label(zone=None) -> str:
    """WIB / WITA / WIT for ``zone`` (default: the active zone); another zone by its name."""
    key = str(zone or timezone.get_current_timezone())
    return INDONESIAN_ZONES.get(key, key)


DATETIME_FORMAT = "j M Y H:i T"


def datetime_text(value) -> str:
    """``value`` in the current zone as ``DATETIME_FORMAT`` shows it, exactly as Django's
    ``date`` filter writes it. Django reads the format letter by letter for every value (a
    queue page shows fifty deadlines, a timeline fifty events): here the day's part is
    formatted once per day and language, the time and the zone's name are read off the value.
    Anything but an aware datetime (None, a date, a naive value) goes to Django's filter."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return date_filter(value, DATETIME_FORMAT)
    local = timezone.template_localtime(value)
    return f"{_day_text(local.date(), get_language())} {local:%H:%M} {local.tzname() or ''}"


@functools.lru_cache(maxsize=1024)
def _day_text(day, _language: str) -> str:  # the language: the month's name is translated
    return date_filter(day, "j M Y")
