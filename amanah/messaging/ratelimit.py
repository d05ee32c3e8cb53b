"""Per-provider token buckets kept in PostgreSQL, shared by every worker on every host.

One row per provider (``ProviderBucket``). A dispatch batch locks its provider's row
(``FOR NO KEY UPDATE``), refills it for the time since the last refill, takes as many tokens
as it may send, claims that many messages and gives back what it did not use — all in the
claim transaction, so two workers never spend the same tokens. ``paused_until`` (a provider
that said it is unavailable) grants nothing until that moment.

``settings.MESSAGING_RATE_LIMITS`` = ``{provider: {"per_second": r, "burst": b}}``; a provider
not listed, or ``MESSAGING_RATE_LIMITS_OFF``, is not limited (but can still be paused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from amanah.messaging.models import ProviderBucket


@dataclass
class Grant:
    bucket: ProviderBucket
    granted: int
    limited: bool


def _limit(provider: str) -> dict | None:
    if getattr(settings, "MESSAGING_RATE_LIMITS_OFF", False):
        return None
    return (getattr(settings, "MESSAGING_RATE_LIMITS", {}) or {}).get(provider)


def _locked_bucket(provider: str, at: datetime) -> ProviderBucket:
    ProviderBucket.objects.bulk_create(
        [ProviderBucket(provider=provider, tokens=0, refilled_at=at)], ignore_conflicts=True
    )
    return ProviderBucket.objects.select_for_update(of=("self",), no_key=True).get(
        provider=provider
    )


def take(provider: str, wanted: int, at: datetime) -> Grant:
    """Lock the provider's bucket and grant up to ``wanted`` tokens (0 while paused).
    Call inside the claim transaction; :func:`give_back` what was not used."""
    bucket = _locked_bucket(provider, at)
    limit = _limit(provider)
    if bucket.paused_until and bucket.paused_until > at:
        return Grant(bucket, 0, limit is not None)
    if limit is None:
        return Grant(bucket, wanted, False)
    elapsed = max((at - bucket.refilled_at).total_seconds(), 0.0)
    burst = float(limit.get("burst", limit["per_second"]))
    bucket.tokens = min(burst, bucket.tokens + elapsed * float(limit["per_second"]))
    bucket.refilled_at = max(at, bucket.refilled_at)
    granted = min(wanted, math.floor(bucket.tokens))
    bucket.tokens -= granted
    bucket.save(update_fields=["tokens", "refilled_at"])
    return Grant(bucket, granted, True)


def give_back(grant: Grant, unused: int) -> None:
    if grant.limited and unused > 0:
        grant.bucket.tokens += unused
        grant.bucket.save(update_fields=["tokens"])


def pause(provider: str, at: datetime, seconds: float) -> datetime:
    """The provider is away: nothing is claimed for it until the returned moment."""
    until = at + timedelta(seconds=seconds)
    bucket = _locked_bucket(provider, at)
    if not bucket.paused_until or bucket.paused_until < until:
        bucket.paused_until = until
        bucket.save(update_fields=["paused_until"])
    return bucket.paused_until


def paused_until(provider: str) -> datetime | None:
    return (
        ProviderBucket.objects.filter(provider=provider)
        .values_list("paused_until", flat=True)
        .first()
    )
