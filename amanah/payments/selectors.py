"""Every user-triggered read of payments, scoped by the actor (``visible_to``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from amanah.core.errors import NotFound
from amanah.core.inputs import optional_text
from amanah.iam import authz
from amanah.integrations.contract import SyncNote
from amanah.payments import redaction
from amanah.payments.models import (
    Payment,
    PaymentStatus,
    RawCallback,
    ReconciliationItem,
    ReconciliationRun,
    Verdict,
)
from amanah.payments.policies import PAYMENT_CALLBACK_VIEW, PAYMENT_RECONCILE, PAYMENT_VIEW

PAGE = 100


def _disagreed():
    """Whether a callback of the payment disagreed with the gateway's status API (a flag:
    which callback and why is the payment page's history)."""
    return Exists(RawCallback.objects.filter(payment=OuterRef("pk"), verdict=Verdict.DISAGREED))


def payment_list(
    actor,
    *,
    status: str = "",
    query: str = "",
    mismatch: bool = False,
    disagreed: bool = False,
):
    authz.require(actor, PAYMENT_VIEW)
    rows = (
        Payment.objects.visible_to(actor).select_related("branch").annotate(disagreed=_disagreed())
    )
    if status in PaymentStatus.values:
        rows = rows.filter(status=status)
    if mismatch:
        rows = rows.filter(amount_mismatch=True)
    if disagreed:
        rows = rows.filter(disagreed=True)
    query = optional_text(query, max_length=80)
    if query:
        rows = rows.filter(order_id__istartswith=query) | rows.filter(payable_key=query)
    return rows.order_by("-created_at")[:PAGE]


def payment_get(actor, payment_id) -> Payment:
    authz.require(actor, PAYMENT_VIEW)
    payment = (
        Payment.objects.visible_to(actor)
        .select_related("branch")
        .annotate(disagreed=_disagreed())
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def payment_callbacks(actor, payment: Payment):
    """The raw callbacks of a payment, for someone who may see raw callbacks (ADMIN)."""
    if not authz.has_perm(actor, PAYMENT_CALLBACK_VIEW):
        return RawCallback.objects.none()
    return (
        RawCallback.objects.visible_to(actor).filter(payment=payment).order_by("received_at", "id")
    )


def payment_history(payment: Payment):
    """Verdicts of the callbacks about the payment (no bodies): what happened, when."""
    return (
        RawCallback.objects.filter(payment=payment)
        .order_by("received_at", "id")
        .only("received_at", "provider", "source", "verdict", "reason")
    )


def callback_list(actor, *, verdict: str = "", provider: str = ""):
    """The newest raw callbacks, each with ``shown_body`` / ``shown_headers``: what the page
    may show of them, every secret-looking value hidden (``redaction``)."""
    authz.require(actor, PAYMENT_CALLBACK_VIEW)
    rows = RawCallback.objects.visible_to(actor)
    if verdict:
        rows = rows.filter(verdict=verdict)
    if provider:
        rows = rows.filter(provider=provider)
    callbacks = list(rows.order_by("-received_at", "-id")[:PAGE])
    for callback in callbacks:
        callback.shown_body = redaction.shown_body(callback.body)
        callback.shown_headers = redaction.shown_headers(callback.headers)
    return callbacks


def gateway_sync_notes(*, actor, systems, now) -> dict:
    """What the sync monitor shows under each gateway's integrations system (counts only,
    never a callback's content): its callbacks that disagreed with the gateway's status API
    in the last 24 hours, and those still waiting (unconfirmed or unapplied) after a minute."""
    providers = {
        config.get("system"): provider
        for provider, config in settings.PAYMENT_GATEWAYS.items()
        if config.get("system")
    }
    shown = {s.name: providers[s.name] for s in systems if s.name in providers}
    if not shown:
        return {}
    of = list(shown.values())
    disagreed = dict(
        RawCallback.objects.filter(
            verdict=Verdict.DISAGREED, received_at__gte=now - timedelta(hours=24), provider__in=of
        )
        .values_list("provider")
        .annotate(n=Count("id"))
    )
    waiting = dict(
        RawCallback.objects.filter(
            verdict=Verdict.RECEIVED, received_at__lt=now - timedelta(minutes=1), provider__in=of
        )
        .values_list("provider")
        .annotate(n=Count("id"))
    )
    link = authz.has_perm(actor, PAYMENT_CALLBACK_VIEW)
    base = reverse("payments:callbacks") if link else ""
    notes = {}
    for name, provider in shown.items():
        late, off = waiting.get(provider, 0), disagreed.get(provider, 0)
        notes[name] = [
            SyncNote(
                _("Callback pembayaran berbeda dengan API status gateway (24 jam)"),
                off,
                f"{base}?verdict={Verdict.DISAGREED}&provider={provider}" if link else "",
                alert=off > 0,
            ),
            SyncNote(
                _("Callback pembayaran menunggu konfirmasi/penerapan lebih dari 1 menit"),
                late,
                f"{base}?verdict={Verdict.RECEIVED}&provider={provider}" if link else "",
                alert=late > 0,
            ),
        ]
    return notes


def reconciliation_list(actor):
    authz.require(actor, PAYMENT_RECONCILE)
    return ReconciliationRun.objects.visible_to(actor).order_by("-settlement_date", "-created_at")[
        :PAGE
    ]


def reconciliation_get(actor, run_id) -> ReconciliationRun:
    authz.require(actor, PAYMENT_RECONCILE)
    run = ReconciliationRun.objects.visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


def reconciliation_items(actor, run: ReconciliationRun, *, problems_only: bool = True):
    rows = ReconciliationItem.objects.visible_to(actor).filter(run=run)
    if problems_only:
        rows = rows.exclude(kind="MATCHED")
    return rows.order_by("kind", "order_id")[:2000]


def reconciliation_counts(actor, run: ReconciliationRun) -> dict:
    rows = ReconciliationItem.objects.visible_to(actor).filter(run=run)
    return dict(rows.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
