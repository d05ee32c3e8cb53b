"""The reader's time zone as people in Indonesia name it: WIB, WITA, WIT.

Pages, CSV headers and audit meta that show times in the reader's zone name it with
:func:`zone_label` — one helper, not a copy per app. (iam's ``TimeZoneChoice`` labels start
with the same names; a test holds the two together.)
"""

from __future__ import annotations

from django.utils import timezone

INDONESIAN_ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_label(zone=None) -> str:
    """WIB / WITA / WIT for ``zone`` (default: the active zone); another zone by its name."""
    key = str(zone or timezone.get_current_timezone())
    return INDONESIAN_ZONES.get(key, key)
