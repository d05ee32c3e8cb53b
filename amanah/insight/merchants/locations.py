"""Where a customer is, as best the house knows it, for the nearest-merchant search.

Sources are asked in order and the first that knows wins, all in one query:

1. what a higher app registers here (``customer_locations.register(key,
   LocationSource(label, sql, order))``): fieldops registers the location its field visits
   confirmed (``fieldops.KnownLocation``, an accepted coordinate correction) — the only
   customer coordinates in the house that a person checked on the ground;
2. insight's own: the partner merchant the customer paid at most often in the last 180 days
   (by the transaction feed's ``merchant_id``), where the customer evidently spends.

Branches carry no coordinates in this house (``iam.Branch`` has none), so there is no
"the branch's location" fallback: a customer no source knows gets no recommendation by
distance, and the 360 says why.

Each source's ``sql`` selects ``latitude, longitude`` for ``%(customer)s`` (at most one row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanah.core.registry import Registry

SPENDING_DAYS = 180


@dataclass(frozen=True)
class LocationSource:
    label: str | Promise
    sql: str
    order: int = 50


customer_locations = Registry("insight customer locations")

SPENDING = "insight.spending"
customer_locations.register(
    SPENDING,
    LocationSource(
        _("Merchant tempat nasabah paling sering bertransaksi"),
        """SELECT m.latitude, m.longitude
           FROM insight_transaction t JOIN insight_merchant m ON m.code = t.merchant_id
           WHERE t.customer_id = %(customer)s AND t.booked_on >= %(since)s
             AND t.merchant_id <> '' AND m.latitude IS NOT NULL
           GROUP BY m.id, m.latitude, m.longitude
           ORDER BY count(*) DESC, max(t.booked_on) DESC, m.id LIMIT 1""",
        order=90,
    ),
    order=90,
)


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    source: str  # the registry key

    @property
    def label(self):
        return customer_locations.get(self.source).label


def _sources() -> list:
    return sorted(customer_locations.items(), key=lambda kv: (kv[1].order, kv[0]))


def location_sql() -> str | None:
    """One SELECT of ``rank, latitude, longitude`` (at most one row: the first source that
    knows) for ``%(customer)s`` and ``%(since)s`` (``location_params``); None without sources.
    For a caller that measures from the location in the same statement."""
    sources = _sources()
    if not sources:
        return None
    parts = [
        f"(SELECT {n} AS rank, latitude, longitude FROM ({source.sql}) s{n} LIMIT 1)"  # noqa: S608
        for n, (_key, source) in enumerate(sources)
    ]
    # The parts are the registered sources' own constant SQL; the values are parameters.
    return " UNION ALL ".join(parts) + " ORDER BY rank LIMIT 1"  # noqa: S608


def location_params(customer_id) -> dict:
    return {
        "customer": str(customer_id),
        "since": timezone.localdate() - timedelta(days=SPENDING_DAYS),
    }


def customer_location(customer_id) -> Location | None:
    """The first source (by order) that knows the customer's location, in one query."""
    sql = location_sql()
    if sql is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, location_params(customer_id))
        row = cursor.fetchone()
    if row is None:
        return None
    return Location(float(row[1]), float(row[2]), _sources()[row[0]][0])
