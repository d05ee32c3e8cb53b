"""A fixed-window rate limit that holds across processes and machines (one atomic upsert)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection

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


def purge_older_than(seconds: int = 3600) -> int:
    cutoff = int(time.time()) - seconds
    deleted, _ = RateCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted
