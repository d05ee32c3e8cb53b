"""One date-time format with its zone (``core.zones.datetime_text``, ``{{ x|when }}``): the
SLA badges, the timeline and every page's times read exactly as Django's ``date`` filter
with ``"j M Y H:i T"`` writes them, in each Indonesian zone and language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import timezone, translation

from amanah.core.zones import DATETIME_FORMAT, datetime_text

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
# Every month (its translated name), both sides of midnight in UTC (the local day differs
# from the UTC day), single- and double-digit days and hours.
MOMENTS = [
    dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)
    for month in range(1, 13)
    for day, hour, minute in ((1, 0, 5), (9, 16, 59), (28, 23, 30))
]
# What is not an aware moment goes to Django's own filter: nothing, a naive value, text.
OTHERS = [None, "", dt.datetime(2026, 11, 28, 9, 30), "2026-11-28"]


def _djangos(value) -> str:
    template = engines["django"].from_string(f'{{{{ value|date:"{DATETIME_FORMAT}" }}}}')
    return template.render({"value": value})


def _filters(value) -> str:
    return engines["django"].from_string("{{ value|when }}").render({"value": value})


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("zone", ZONES)
def test_a_moment_reads_as_djangos_date_filter_writes_it(language, zone):
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for moment in MOMENTS + OTHERS:
            expected = _djangos(moment)
            assert datetime_text(moment) == expected
            assert _filters(moment) == expected
        assert datetime_text(MOMENTS[0]).endswith(("WIB", "WITA", "WIT"))
