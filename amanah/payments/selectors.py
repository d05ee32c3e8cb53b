"""Every user-triggered read of payments, scoped by the actor (``visible_to``)."""

from __future__ import annotations

from django.db.models import Count

from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.payments.models import (
    Payment,
    PaymentStatus,
    RawCallback,
    ReconciliationItem,
    ReconciliationRun,
)
from amanah.payments.policies import PAYMENT_CALLBACK_VIEW, PAYMENT_RECONCILE, PAYMENT_VIEW

PAGE = 100


def payment_list(actor, *, status: str = "", query: str = "", mismatch: bool = False):
    authz.require(actor, PAYMENT_VIEW)
    rows = Payment.objects.visible_to(actor).select_related("branch")
    if status in PaymentStatus.values:
        rows = rows.filter(status=status)
    if mismatch:
        rows = rows.filter(amount_mismatch=True)
    query = (query or "").strip()[:80]
    if query:
        rows = rows.filter(order_id__istartswith=query) | rows.filter(payable_key=query)
    return rows.order_by("-created_at")[:PAGE]


def payment_get(actor, payment_id) -> Payment:
    authz.require(actor, PAYMENT_VIEW)
    payment = (
        Payment.objects.visible_to(actor).select_related("branch").filter(pk=payment_id).first()
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
    authz.require(actor, PAYMENT_CALLBACK_VIEW)
    rows = RawCallback.objects.visible_to(actor)
    if verdict:
        rows = rows.filter(verdict=verdict)
    if provider:
        rows = rows.filter(provider=provider)
    return rows.order_by("-received_at", "-id")[:PAGE]


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
