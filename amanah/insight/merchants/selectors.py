"""Reads of the hyperlocal merchants: the partner list, one partner, the nearest merchants
with a live promo for a customer (cube/earthdistance nearest-neighbour search on the GiST
index), the customer's recommendations, and conversion per merchant and city."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from amanah.consent.contract import profiling
from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.insight.merchants.locations import (
    Location,
    customer_location,
    location_params,
    location_sql,
)
from amanah.insight.merchants.models import Merchant, MerchantRecommendation, RecommendationStatus
from amanah.insight.models import MerchantCategory, Transaction
from amanah.insight.policies import MERCHANT_RECOMMEND, MERCHANT_VIEW

NEAREST = 10
CATEGORY_DAYS = 180


def nearest_sql(lat: str, lon: str) -> str:
    """The nearest ``%(limit)s`` merchants with a live promo (``%(today)s``) in
    ``%(categories)s`` to the origin ``lat, lon`` (SQL expressions: parameters or columns of
    an outer row), as ``(id, metres)``, nearest first.

    One nearest-neighbour walk per category over the GiST index on (category,
    ``ll_to_earth``) — each walk meets only its own category's merchants, so a rare category
    costs what a common one does — then the walks' rows merged by distance. ``<->`` on cube
    is the straight-line distance through the earth, which orders exactly as the great-circle
    distance does; the distance given is ``earth_distance``."""
    origin = f"ll_to_earth({lat}, {lon})"
    return f"""
SELECT n.id, n.metres
FROM unnest(%(categories)s::text[]) AS c(category)
CROSS JOIN LATERAL (
    SELECT m.id, earth_distance({origin}, ll_to_earth(m.latitude, m.longitude)) AS metres
    FROM insight_merchant m
    WHERE m.category = c.category AND m.latitude IS NOT NULL AND m.active
      AND m.promo_text <> '' AND m.promo_ends_on >= %(today)s
    ORDER BY ll_to_earth(m.latitude, m.longitude) <-> {origin}
    LIMIT %(limit)s
) AS n
ORDER BY n.metres, n.id
LIMIT %(limit)s
"""  # noqa: S608 — constant SQL around the caller's constant expressions; values are params


NEAREST_SQL = nearest_sql("%(lat)s", "%(lon)s")


def merchant_list(*, actor, city: str = "", category: str = "", active: bool | None = None):
    qs = Merchant.objects.visible_to(actor)
    if city:
        qs = qs.filter(city__iexact=city)
    if category:
        qs = qs.filter(category=category)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def merchant_get(*, actor, merchant_id) -> Merchant:
    merchant = Merchant.objects.visible_to(actor).filter(pk=merchant_id).first()
    if merchant is None:
        raise NotFound()
    return merchant


def nearest_ids(
    lat: float, lon: float, categories, *, limit: int = NEAREST, today: date | None = None
) -> list[tuple[str, float]]:
    """(merchant id, metres) of the nearest merchants with a live promo in ``categories``."""
    with connection.cursor() as cursor:
        cursor.execute(
            NEAREST_SQL,
            {
                "lat": lat,
                "lon": lon,
                "categories": list(categories),
                "today": today or timezone.localdate(),
                "limit": limit,
            },
        )
        return [(str(pk), float(d)) for pk, d in cursor.fetchall()]


def spending_categories(customer, *, actor) -> list[str]:
    """The merchant categories the customer paid in over the last 180 days, most used first
    (the transactions the actor may see)."""
    since = timezone.localdate() - timedelta(days=CATEGORY_DAYS)
    rows = (
        Transaction.objects.visible_to(actor)
        .filter(customer=customer, booked_on__gte=since)
        .exclude(merchant_category="")
        .values("merchant_category")
        .annotate(n=Count("pk"))
        .order_by("-n", "merchant_category")
    )
    return [r["merchant_category"] for r in rows]


@dataclass
class Suggestion:
    merchant: Merchant
    distance_m: int
    open_recommendation: MerchantRecommendation | None = None

    @property
    def distance_km(self) -> str:
        return f"{self.distance_m / 1000:.1f}".replace(".", ",")


@dataclass
class Suggestions:
    location: Location | None
    categories: list[str]  # what the customer spends on
    category: str  # the filter chosen ("" = all of them)
    rows: list[Suggestion] = field(default_factory=list)
    recent: list[MerchantRecommendation] = field(default_factory=list)
    not_profiled: str = ""  # why nothing is suggested: the customer objected to profiling

    @property
    def category_choices(self) -> list[tuple[str, str]]:
        labels = dict(MerchantCategory.choices)
        return [(c, labels.get(c, c)) for c in self.categories]


def suggestions_for(customer, *, actor, category: str = "", limit: int = NEAREST) -> Suggestions:
    """The Merchant Promo list of a customer the caller already opened through ``customer_for``:
    the nearest merchants with a live promo in the categories the customer spends on (or in
    ``category`` among them), nearest first; plus the customer's last recommendations.
    Every read goes through ``visible_to(actor)`` except the location (``locations``: raw
    coordinates of this one customer, never shown, only measured from). A customer who
    objected to profiling gets no suggestion (consent's ``profiling``: their spending and
    whereabouts are not matched), only the history of what was sent."""
    authz.require(actor, MERCHANT_RECOMMEND)
    authz.require(actor, MERCHANT_VIEW)
    recent = list(
        MerchantRecommendation.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("merchant")[:10]
    )
    verdict = profiling(customer)
    if not verdict.allowed:
        return Suggestions(None, [], "", recent=recent, not_profiled=verdict.label)
    categories = spending_categories(customer, actor=actor)
    chosen = category if category in categories else ""
    location = customer_location(customer.pk)
    result = Suggestions(location, categories, chosen, recent=recent)
    if location is None or not categories:
        return result
    found = nearest_ids(
        location.latitude, location.longitude, [chosen] if chosen else categories, limit=limit
    )
    merchants = Merchant.objects.visible_to(actor).in_bulk([pk for pk, _d in found])
    open_by_merchant = {
        r.merchant_id: r for r in recent if r.status != RecommendationStatus.CONVERTED
    }
    for pk, metres in found:
        merchant = merchants.get(uuid.UUID(pk))
        if merchant is not None:
            result.rows.append(
                Suggestion(merchant, round(metres), open_by_merchant.get(merchant.pk))
            )
    return result


def conversion_by_merchant(*, actor, since=None) -> list[dict]:
    """Per merchant (and its city): recommendations sent, clicked, converted — of the
    customers the actor may see. For the dashboards and the partner list."""
    qs = MerchantRecommendation.objects.visible_to(actor)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return list(
        qs.values("merchant_id", "merchant__name", "merchant__city")
        .annotate(**_measures())
        .order_by("merchant__city", "merchant__name")
    )


def conversion_by_city(*, actor, since=None) -> list[dict]:
    qs = MerchantRecommendation.objects.visible_to(actor)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return list(qs.values("merchant__city").annotate(**_measures()).order_by("merchant__city"))


def _measures() -> dict:
    S = RecommendationStatus
    return {
        "recommended": Count("pk"),
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
        "converted": Count("pk", filter=Q(status=S.CONVERTED)),
    }


PROMO_NEAR_KM = 10  # "in the customer's city": a live promo within this distance


def may_recommend(actor) -> bool:
    """May ``actor`` see partner merchants and recommend one (the NBA's merchant fact)?"""
    return authz.has_perm(actor, MERCHANT_RECOMMEND) and authz.has_perm(actor, MERCHANT_VIEW)


def promo_for_nba(customer, *, actor, categories: list[str] | None = None) -> str | None:
    """The Next Best Action fact ``merchant_promo_in_city``: the id of the nearest merchant
    with a live promo in a category the customer spends on, within ``PROMO_NEAR_KM`` of where
    the customer is known to be, not already recommended and still open — or None (also for
    an actor who may not recommend merchants, and for a customer no location source knows:
    never by distance without coordinates). ``categories``: the customer's spending categories
    when the caller already read them (``spending_categories``' order). Two queries at most,
    one when given the categories: the location and the search are one statement."""
    if not may_recommend(actor):
        return None
    if categories is None:
        categories = spending_categories(customer, actor=actor)
    if not categories:
        return None
    located = location_sql()
    if located is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH origin AS ({located})
                SELECT n.id FROM origin o
                CROSS JOIN LATERAL ({nearest_sql("o.latitude", "o.longitude")}) AS n
                 WHERE n.metres <= %(within)s AND NOT EXISTS (
                       SELECT 1 FROM insight_merchantrecommendation r
                        WHERE r.merchant_id = n.id AND r.customer_id = %(customer)s
                          AND r.status IN ('PENDING', 'SENT', 'CLICKED'))
                 ORDER BY n.metres LIMIT 1""",  # noqa: S608 — constant SQL, values are params
            {
                **location_params(customer.pk),
                "categories": categories,
                "today": timezone.localdate(),
                "limit": NEAREST,
                "within": PROMO_NEAR_KM * 1000,
            },
        )
        row = cursor.fetchone()
    return str(row[0]) if row else None
