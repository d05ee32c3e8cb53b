"""Reads of the utility, scoped by the actor (``visible_to``): the network with coverage and
utilisation, pelanggan, their readings and bills, arrears ageing, tariffs, billing runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection as db
from django.db.models import Count, Q
from django.utils import timezone

from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.utility.models import (
    Bill,
    BillingRun,
    Connection,
    ConnectionStatus,
    Installation,
    InstallationStatus,
    Installment,
    MeterReading,
    RabLine,
    Receipt,
    ServiceArea,
    Spam,
    TariffGroup,
)
from amanah.utility.policies import CONNECTION_VIEW, INSTALLATION_VIEW, NETWORK_VIEW, TARIFF_VIEW

PAGE_SIZE = 50


def demand_per_connection() -> Decimal:
    """The average demand of one active connection (l/s), from ``UTILITY_DEMAND_LPS``."""
    return Decimal(str(settings.UTILITY_DEMAND_LPS))


@dataclass(frozen=True)
class SpamLoad:
    spam: Spam
    active_connections: int
    demand_lps: Decimal
    utilisation_pct: Decimal  # of capacity
    production_pct: Decimal  # production as a share of capacity


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _load(spam: Spam, active: int) -> SpamLoad:
    demand = (demand_per_connection() * active).quantize(Decimal("0.01"))
    return SpamLoad(
        spam,
        active,
        demand,
        _pct(demand, spam.capacity_lps),
        _pct(spam.production_lps, spam.capacity_lps),
    )


def spam_load(spam: Spam, *, adding: int = 0) -> SpamLoad:
    """Utilisation = active connections (in the areas it serves, + ``adding``) × the average
    demand ÷ capacity. Not scoped: it is the plant's, and a check inside services."""
    active = Connection.objects.filter(area__spam=spam, status=ConnectionStatus.ACTIVE).count()
    return _load(spam, active + adding)


@dataclass(frozen=True)
class AreaCoverage:
    area: ServiceArea
    active: int
    applied: int
    suspended: int
    outside_radius: int  # connections whose coordinates lie beyond the area's radius


_OUTSIDE = """
SELECT c.area_id, count(*) FROM utility_connection c JOIN utility_servicearea a ON a.id = c.area_id
 WHERE c.lat IS NOT NULL AND c.status <> 'CLOSED'
   AND 2 * 6371000 * asin(sqrt(
         power(sin(radians((c.lat - a.centre_lat)::float8) / 2), 2)
       + cos(radians(a.centre_lat::float8)) * cos(radians(c.lat::float8))
         * power(sin(radians((c.lon - a.centre_lon)::float8) / 2), 2))) > a.radius_m
 GROUP BY c.area_id
"""


def network(actor) -> tuple[list[AreaCoverage], list[SpamLoad]]:
    """Every area with its connections by status (coverage) and every SPAM with its load."""
    authz.require(actor, NETWORK_VIEW)
    areas = list(
        ServiceArea.objects.visible_to(actor)
        .select_related("spam")
        .annotate(
            n_active=Count("connections", filter=Q(connections__status="ACTIVE")),
            n_applied=Count("connections", filter=Q(connections__status="APPLIED")),
            n_suspended=Count("connections", filter=Q(connections__status="SUSPENDED")),
        )
    )
    with db.cursor() as cursor:
        cursor.execute(_OUTSIDE)
        outside = dict(cursor.fetchall())
    coverage = [
        AreaCoverage(a, a.n_active, a.n_applied, a.n_suspended, outside.get(a.pk, 0)) for a in areas
    ]
    active_by_spam: dict[int, int] = {}
    for a in areas:
        if a.spam_id:
            active_by_spam[a.spam_id] = active_by_spam.get(a.spam_id, 0) + a.n_active
    loads = [_load(s, active_by_spam.get(s.pk, 0)) for s in Spam.objects.visible_to(actor)]
    return coverage, loads


def area_get(actor, code: str) -> ServiceArea:
    row = ServiceArea.objects.visible_to(actor).select_related("spam").filter(code=code).first()
    if row is None:
        raise NotFound()
    return row


def spam_get(actor, code: str) -> Spam:
    row = Spam.objects.visible_to(actor).filter(code=code).first()
    if row is None:
        raise NotFound()
    return row


def spam_choices() -> list[tuple[str, str]]:
    return [(s.code, str(s)) for s in Spam.objects.filter(active=True)]


def area_choices() -> list[tuple[str, str]]:
    return [(a.code, str(a)) for a in ServiceArea.objects.filter(active=True)]


def tariff_choices() -> list[tuple[str, str]]:
    return [(g.code, str(g)) for g in TariffGroup.objects.filter(active=True)]


# --------------------------------------------------------------------------- tariffs


def tariff_groups(actor) -> list[TariffGroup]:
    authz.require(actor, TARIFF_VIEW)
    return list(TariffGroup.objects.visible_to(actor).prefetch_related("blocks"))


def tariff_group_get(actor, code: str) -> TariffGroup:
    row = TariffGroup.objects.visible_to(actor).prefetch_related("blocks").filter(code=code).first()
    if row is None:
        raise NotFound()
    return row


# --------------------------------------------------------------------------- pelanggan


@dataclass(frozen=True)
class ConnectionFilter:
    query: str = ""
    status: str = ""
    area: str = ""
    address_incomplete: bool = False


def connection_list(actor, flt: ConnectionFilter, *, page: int = 1) -> tuple[list, bool]:
    """One page of the pelanggan in the actor's branches, and whether there is another."""
    authz.require(actor, CONNECTION_VIEW)
    rows = Connection.objects.visible_to(actor).select_related(
        "customer", "tariff_group", "area", "branch"
    )
    if flt.query:
        rows = rows.filter(
            Q(number__istartswith=flt.query.strip().upper())
            | Q(meter_number=flt.query.strip())
            | Q(customer__full_name__icontains=flt.query.strip())
        )
    if flt.status:
        rows = rows.filter(status=flt.status)
    if flt.area:
        rows = rows.filter(area__code=flt.area)
    if flt.address_incomplete:
        rows = rows.filter(address_incomplete=True)
    start = (page - 1) * PAGE_SIZE
    found = list(rows.order_by("number")[start : start + PAGE_SIZE + 1])
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def connection_get(actor, connection_id) -> Connection:
    """A pelanggan in the actor's scope; missing and out of scope are both NotFound."""
    authz.require(actor, CONNECTION_VIEW)
    try:
        row = (
            Connection.objects.visible_to(actor)
            .select_related("customer", "tariff_group", "area__spam", "branch")
            .filter(pk=int(connection_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


def connection_of_customer(actor, customer) -> Connection | None:
    """The customer's connection for the 360 card: only what the card shows is read."""
    return _connection_rows.first(actor, customer=customer)


@prepared(Connection, params=("customer",))
def _connection_rows(actor, *, customer):
    return (
        Connection.objects.visible_to(actor)
        .select_related("tariff_group", "area")
        .only("number", "status", "tariff_group__code", "area__name")
        .filter(customer=customer)[:1]  # in the model's order (by number), as before
    )


def readings_of(actor, connection: Connection, *, limit: int = 24) -> list[MeterReading]:
    return list(MeterReading.objects.visible_to(actor).filter(connection=connection)[:limit])


def bills_of(actor, connection: Connection, *, limit: int = 24) -> list[Bill]:
    return list(
        Bill.objects.visible_to(actor).filter(connection=connection).order_by("-period")[:limit]
    )


def receipts_of(actor, connection: Connection, *, limit: int = 24) -> list[Receipt]:
    return list(Receipt.objects.visible_to(actor).filter(connection=connection)[:limit])


def billing_runs(actor, *, limit: int = 24) -> list[BillingRun]:
    return list(BillingRun.objects.visible_to(actor)[:limit])


# --------------------------------------------------------------------------- arrears ageing

BUCKETS = ("0-30", "31-60", "61-90", "90+")


@dataclass(frozen=True)
class Ageing:
    """What a connection owes on bills past their due date, by days past due, and what is
    billed but not yet due. Whole rupiah."""

    connection_id: int
    d0_30: int = 0
    d31_60: int = 0
    d61_90: int = 0
    d90_plus: int = 0
    not_due: int = 0
    oldest_due: dt.date | None = None

    @property
    def overdue(self) -> int:
        return self.d0_30 + self.d31_60 + self.d61_90 + self.d90_plus


_AGEING = """
SELECT b.connection_id,
       sum(b.total - b.paid) FILTER (WHERE t.d - b.due_on BETWEEN 1 AND 30),
       sum(b.total - b.paid) FILTER (WHERE t.d - b.due_on BETWEEN 31 AND 60),
       sum(b.total - b.paid) FILTER (WHERE t.d - b.due_on BETWEEN 61 AND 90),
       sum(b.total - b.paid) FILTER (WHERE t.d - b.due_on > 90),
       sum(b.total - b.paid) FILTER (WHERE b.due_on >= t.d),
       min(b.due_on) FILTER (WHERE b.due_on < t.d)
  FROM utility_bill b, (SELECT %s::date AS d) AS t
 WHERE b.status = 'OPEN' AND b.connection_id IN ({ids})
 GROUP BY b.connection_id
"""


def arrears_ageing(
    actor, *, connection_ids=None, as_of: dt.date | None = None, min_overdue: int = 1
) -> dict[int, Ageing]:
    """Arrears ageing per connection in the actor's scope (0–30, 31–60, 61–90, > 90 days past
    due), for the given connections or all of them with at least ``min_overdue`` overdue.
    Set-based: one grouped query over the open bills (field ops build work orders from it)."""
    authz.require(actor, CONNECTION_VIEW)
    day = as_of or timezone.localdate()
    visible = Connection.objects.visible_to(actor)
    if connection_ids is not None:
        visible = visible.filter(pk__in=list(connection_ids))
    ids_sql, ids_params = visible.values("pk").query.sql_with_params()
    sql = _AGEING.replace("{ids}", ids_sql)
    with db.cursor() as cursor:
        cursor.execute(sql, [day, *ids_params])
        rows = cursor.fetchall()
    result = {}
    for cid, a, b, c, d, not_due, oldest in rows:
        ageing = Ageing(cid, a or 0, b or 0, c or 0, d or 0, not_due or 0, oldest)
        if connection_ids is not None or ageing.overdue >= min_overdue:
            result[cid] = ageing
    return result


# How far (degrees, ~55 km) a service area's centre may lie outside the map's box and still
# be drawn: an area's radius rarely reaches further.
AREA_REACH = 0.5


def area_outlines(bounds) -> list[dict]:
    """The active service areas near ``bounds`` (south, west, north, east) for the field map:
    the outline when one is drawn, else the centre and radius. Reference geometry (no
    customer data), so it is not scoped by the actor (fieldops' ``map_areas``)."""
    south, west, north, east = bounds
    rows = ServiceArea.objects.filter(
        active=True,
        centre_lat__gte=south - AREA_REACH,
        centre_lat__lte=north + AREA_REACH,
        centre_lon__gte=west - AREA_REACH,
        centre_lon__lte=east + AREA_REACH,
    ).order_by("code")[:200]
    out = []
    for area in rows:
        name = f"{area.code} {area.name}"
        if len(area.polygon or []) > 2:
            out.append({"name": name, "polygon": area.polygon})
        else:
            out.append(
                {
                    "name": name,
                    "centre": [float(area.centre_lat), float(area.centre_lon)],
                    "radius_m": area.radius_m,
                }
            )
    return out


# --------------------------------------------------------------------------- pasang baru


def installation_list(actor, *, status: str = "", limit: int = 200):
    """The new connections the actor may see, by stage (oldest step first: most urgent), and
    the count per stage."""
    authz.require(actor, INSTALLATION_VIEW)
    rows = Installation.objects.visible_to(actor)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status in InstallationStatus.values:
        rows = rows.filter(status=status)
    rows = rows.select_related("connection__customer", "connection__area").order_by(
        "stage_due_at", "id"
    )
    return list(rows[:limit]), counts


def installation_get(actor, installation_id):
    authz.require(actor, INSTALLATION_VIEW)
    try:
        row = (
            Installation.objects.visible_to(actor)
            .select_related(
                "connection__customer",
                "connection__area",
                "technician",
                "rab_author",
                "approved_by",
            )
            .filter(pk=int(installation_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


def rab_of(actor, installation):
    return list(RabLine.objects.visible_to(actor).filter(installation=installation))


def installments_of(actor, installation):
    return list(
        Installment.objects.visible_to(actor).filter(installation=installation).order_by("seq")
    )
