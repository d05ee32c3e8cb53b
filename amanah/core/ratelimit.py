"""A fixed-window rate limit that holds across processes and machines (one atomic upsert)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from amanah.core.errors import RateLimited
from amanah.core.models import RateCounter


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window resets


def hit(key: str, *, limit: int, window_seconds: int = 60) -> RateDecision:
    """Count one hit for ``key``; allowed while the window holds at most ``limit`` hits."""
    now = int(time.time())
    window_start = now - now % window_seconds
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (key, window_start) DO UPDATE SET hits = "
            f"{table}.hits + 1 RETURNING hits",
            [key, window_start],
        )
        hits = cursor.fetchone()[0]
    return RateDecision(hits <= limit, hits, window_start + window_seconds - now)


def require(key: str, *, limit: int, message: str) -> None:
    """Count one hit for ``key`` or refuse it: ``RateLimited`` with ``message`` (a text with
    one ``%d``, filled with the seconds to wait)."""
    decision = hit(key, limit=limit)
    if not decision.allowed:
        raise RateLimited(message % decision.retry_after, retry_after=decision.retry_after)


def require_search_budget(actor, purpose: str) -> None:
    """One of ``actor``'s lookups of customers for ``purpose``: at most
    ``SEARCH_RATE_LIMIT_PER_MINUTE`` a minute each, as a burst of lookups is harvesting, not
    serving a customer. Call it inside the transaction that audits the lookup."""
    require(
        f"{purpose}:{actor.pk}",
        limit=settings.SEARCH_RATE_LIMIT_PER_MINUTE,
        message=_("Terlalu banyak pencarian. Coba lagi dalam %d detik."),
    )


def purge_older_than(seconds: int = 3600) -> int:
    cutoff = int(time.time()) - seconds
    deleted, _ = RateCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted
