"""The sync monitor (issue 21): per external system, its calls to the API — successes,
failures, latency — its backlog, and an alert to ADMIN when it stays silent longer than its
schedule (``ExternalSystem.silent_after_minutes``).

**Counting.** :class:`SyncMonitorMiddleware` times every request to ``/api/``; when the caller
was a system key (``request.user`` an ``IntegrationActor``, set by ``core.api``'s bearer path
before the permission check), :func:`record_call` adds it to the system's counter row of the
hour with one UPSERT. The middleware runs after the view returned, so the call's own
transaction is over: a call whose work rolled back still counts as a failure, and the counter
never holds a lock inside the caller's transaction. A failure to count is logged and ignored —
the monitor never breaks a call.

**Silence.** :func:`silence_alerts` (the job ``sync_silence_check``, every five minutes) tells
the holders of ``SYSTEM_KEY_MANAGE`` through the messaging hub (IN_APP) when a system with a
schedule has had no successful call for longer; the notice's key is the system and the moment
of its last success, so one silence is announced once.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import registry
from amanah.core.actors import IntegrationActor, declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz
from amanah.integrations.models import (
    DeliveryStatus,
    ExternalSystem,
    InboundIntake,
    IntakeStatus,
    SyncCounter,
    WebhookDelivery,
)
from amanah.integrations.policies import SYSTEM_KEY_MANAGE

logger = logging.getLogger(__name__)

MONITOR = declare_actor("sync-monitor", permissions=())
MAX_SILENT_MINUTES = 60 * 24 * 31  # a month
WINDOW = timedelta(hours=24)

_UPSERT = """
INSERT INTO integrations_synccounter AS c
    (system_id, bucket, calls, failures, total_ms, max_ms,
     last_success_at, last_failure_at, last_failure_reason)
SELECT s.id, date_trunc('hour', %(at)s::timestamptz), 1, %(failed)s, %(ms)s, %(ms)s,
       %(success_at)s, %(failure_at)s, %(reason)s
FROM integrations_externalsystem s WHERE s.name = %(name)s
ON CONFLICT (system_id, bucket) DO UPDATE SET
    calls = c.calls + 1,
    failures = c.failures + EXCLUDED.failures,
    total_ms = c.total_ms + EXCLUDED.total_ms,
    max_ms = GREATEST(c.max_ms, EXCLUDED.max_ms),
    last_success_at = GREATEST(c.last_success_at, EXCLUDED.last_success_at),
    last_failure_at = GREATEST(c.last_failure_at, EXCLUDED.last_failure_at),
    last_failure_reason = CASE WHEN EXCLUDED.last_failure_at IS NULL
        THEN c.last_failure_reason ELSE EXCLUDED.last_failure_reason END
"""


def failure_reason(response) -> str:
    """The answer's error code (the API's one error shape), else ``http_<status>``."""
    if not getattr(response, "streaming", False) and response.get("Content-Type", "").startswith(
        "application/json"
    ):
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and code.isascii() and 0 < len(code) <= 40:
            return code
    return f"http_{response.status_code}"


def record_call(*, system_name: str, ok: bool, duration_ms: int, reason: str = "", at=None):
    """One call of a system into its counter row of the hour (one statement)."""
    at = at or timezone.now()
    params = {
        "at": at,
        "failed": 0 if ok else 1,
        "ms": max(0, min(int(duration_ms), 2**31 - 1)),
        "success_at": at if ok else None,
        "failure_at": None if ok else at,
        "reason": "" if ok else reason[:40],
        "name": system_name,
    }
    try:
        if connection.in_atomic_block:  # a savepoint, so a failure leaves the outer one usable
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_UPSERT, params)
        else:  # the usual case (after the view): one autocommitted statement, one round trip
            with connection.cursor() as cursor:
                cursor.execute(_UPSERT, params)
    except DatabaseError:
        logger.warning("sync monitor: a call could not be counted", exc_info=True)


class SyncMonitorMiddleware:
    """Times each ``/api/`` request; counts those made with a system key (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        # ``type`` of the lazy user is the lazy wrapper: a session user is never loaded here.
        actor = request.__dict__.get("user")
        if type(actor) is IntegrationActor:
            ok = response.status_code < 400
            record_call(
                system_name=actor.name,
                ok=ok,
                duration_ms=round((time.monotonic() - started) * 1000),
                reason="" if ok else failure_reason(response),
            )
        return response


# -- what the page shows ------------------------------------------------------------------


@dataclass(frozen=True)
class SyncNote:
    """A count another app shows under a system's line (``register_sync_note``): e.g. the
    payment callbacks that disagreed with the gateway. ``url`` where to look (empty: the
    viewer may not), ``alert`` to mark it."""

    label: str
    count: int
    url: str = ""
    alert: bool = False


def register_sync_note(key: str, notes, *, order: int = 50):
    """``notes(*, actor, systems, now) -> {system name: [SyncNote]}`` (counts only: the
    monitor's viewer may not hold the rows' own permission)."""
    return registry.sync_notes.register(key, notes, order=order)


@dataclass
class SystemHealth:
    system: ExternalSystem
    last_success_at: object
    last_failure_at: object
    last_failure_reason: str
    calls: int
    failures: int
    mean_ms: int | None
    max_ms: int | None
    unmatched: int
    pending: int
    dead: int
    silent: bool
    notes: list = field(default_factory=list)  # SyncNote, from other apps


def is_silent(system: ExternalSystem, last_success_at, now) -> bool:
    if not system.silent_after_minutes:
        return False
    since = last_success_at or system.created_at
    return now - since > timedelta(minutes=system.silent_after_minutes)


def _notes(actor, systems, now) -> dict:
    """What other apps count under each system (``registry.sync_notes``), by system name."""
    notes: dict = {}
    for _key, contribute in registry.sync_notes.items():
        for name, found in contribute(actor=actor, systems=systems, now=now).items():
            notes.setdefault(name, []).extend(found)
    return notes


def health(*, actor, now=None) -> list[SystemHealth]:
    """One line per visible system: a handful of grouped queries, whatever the number."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    now = now or timezone.now()
    systems = list(ExternalSystem.objects.visible_to(actor))
    ids = [s.pk for s in systems]
    counters = SyncCounter.objects.filter(system_id__in=ids)
    ever = {
        row["system_id"]: row
        for row in counters.values("system_id").annotate(
            success=Max("last_success_at"), failure=Max("last_failure_at")
        )
    }
    recent = {
        row["system_id"]: row
        for row in counters.filter(bucket__gt=now - WINDOW)
        .values("system_id")
        .annotate(
            calls=Sum("calls"), failures=Sum("failures"), total=Sum("total_ms"), top=Max("max_ms")
        )
    }
    reasons = dict(
        counters.filter(last_failure_at__isnull=False)
        .order_by("system_id", "-last_failure_at")
        .distinct("system_id")
        .values_list("system_id", "last_failure_reason")
    )
    # Counts only (never a row's content): an ADMIN may lack INTAKE_VIEW.
    unmatched = dict(
        InboundIntake.objects.filter(
            status=IntakeStatus.UNMATCHED,
            source__in=[f"{kind}:{s.name}" for s in systems for kind in ("api", "email")],
        )
        .values_list("source")
        .annotate(n=Count("pk"))
    )
    backlog = {
        row["subscription__system_id"]: row
        for row in WebhookDelivery.objects.filter(subscription__system_id__in=ids)
        .exclude(status=DeliveryStatus.DELIVERED)
        .values("subscription__system_id")
        .annotate(
            pending=Count("pk", filter=~Q(status=DeliveryStatus.DEAD)),
            dead=Count("pk", filter=Q(status=DeliveryStatus.DEAD)),
        )
    }
    notes = _notes(actor, systems, now)
    lines = []
    for system in systems:
        e, r, b = ever.get(system.pk, {}), recent.get(system.pk, {}), backlog.get(system.pk, {})
        calls = r.get("calls") or 0
        lines.append(
            SystemHealth(
                system=system,
                last_success_at=e.get("success"),
                last_failure_at=e.get("failure"),
                last_failure_reason=reasons.get(system.pk, ""),
                calls=calls,
                failures=r.get("failures") or 0,
                mean_ms=round(r["total"] / calls) if calls else None,
                max_ms=r.get("top") if calls else None,
                unmatched=unmatched.get(f"api:{system.name}", 0)
                + unmatched.get(f"email:{system.name}", 0),
                pending=b.get("pending", 0),
                dead=b.get("dead", 0),
                silent=is_silent(system, e.get("success"), now),
                notes=notes.get(system.name, []),
            )
        )
    return lines


def failed_deliveries(*, actor, limit: int = 50):
    authz.require(actor, SYSTEM_KEY_MANAGE)
    return list(
        WebhookDelivery.objects.visible_to(actor)
        .filter(status=DeliveryStatus.DEAD)
        .select_related("subscription__system")
        .order_by("-last_attempt_at", "-created_at")[:limit]
    )


# -- changes ------------------------------------------------------------------------------


@transaction.atomic
def system_schedule_set(*, actor, system_id, silent_after_minutes: int | None) -> ExternalSystem:
    """Set (or clear, with None) how long a system may stay silent before ADMIN hears of it."""
    from amanah.integrations.services import _locked_system

    system = _locked_system(actor, system_id)
    if silent_after_minutes is not None and (
        isinstance(silent_after_minutes, bool)
        or not isinstance(silent_after_minutes, int)
        or not 1 <= silent_after_minutes <= MAX_SILENT_MINUTES
    ):
        raise ServiceError(
            "invalid",
            _("Batas senyap harus 1 sampai %(max)d menit.") % {"max": MAX_SILENT_MINUTES},
            field="silent_after_minutes",
        )
    before = system.silent_after_minutes
    if before != silent_after_minutes:
        system.silent_after_minutes = silent_after_minutes
        system.save(update_fields=["silent_after_minutes"])
        audit.record(
            actor=actor,
            action=AuditAction.SET_SYNC_SCHEDULE,
            obj=system,
            meta={"system": system.name, "before": before, "after": silent_after_minutes},
        )
    return system


@transaction.atomic
def webhook_delivery_retry(*, actor, delivery_id) -> WebhookDelivery:
    """Put a dead delivery back in the queue (attempts from zero, due now); the batched job
    sends it. Only while its subscription is active: a disabled one sends nothing."""
    authz.require(actor, SYSTEM_KEY_MANAGE)
    delivery = (
        WebhookDelivery.objects.visible_to(actor)
        .select_related("subscription__system")
        .select_for_update(of=("self",))
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound()
    if delivery.status != DeliveryStatus.DEAD:
        raise ServiceError(
            "not_retryable",
            _("Hanya pengiriman yang gagal permanen yang dapat dicoba lagi."),
        )
    if not delivery.subscription.active:
        raise ServiceError(
            "subscription_inactive",
            _("Langganan webhook ini nonaktif; pengiriman tidak dapat dicoba lagi."),
        )
    previous = delivery.last_error
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(
        actor=actor,
        action=AuditAction.RETRY_WEBHOOK_DELIVERY,
        obj=delivery,
        meta={"system": delivery.subscription.system.name, "last_error": previous},
    )
    from amanah.integrations.tasks import deliver_soon

    deliver_soon()
    return delivery


def silence_alerts(*, now=None) -> int:
    """Tell ADMIN of each scheduled system silent too long; once per silence (see module)."""
    from amanah.iam.contract import holders_of
    from amanah.messaging.contract import MessageSource, approval_notify

    now = now or timezone.now()
    systems = list(ExternalSystem.objects.filter(silent_after_minutes__isnull=False))
    if not systems:
        return 0
    last = dict(
        SyncCounter.objects.filter(system__in=systems, last_success_at__isnull=False)
        .values("system_id")
        .annotate(at=Max("last_success_at"))
        .values_list("system_id", "at")
    )
    silent = [s for s in systems if is_silent(s, last.get(s.pk), now)]
    if not silent:
        return 0
    admins = list(holders_of(SYSTEM_KEY_MANAGE))
    for system in silent:
        since = last.get(system.pk)
        title = _(
            "Sistem “%(system)s” senyap: tidak ada panggilan berhasil lebih dari %(minutes)d menit"
        ) % {
            "system": system.label[:120],
            "minutes": system.silent_after_minutes,
        }
        with transaction.atomic():
            approval_notify(
                actor=MONITOR,
                users=admins,
                title=str(title),
                url=reverse("integrations:sync_monitor"),
                source=MessageSource.SYSTEM,
                source_id=f"sync-silent:{system.pk}",
                step=f"since:{since.isoformat() if since else 'never'}",
            )
    return len(silent)
