"""How cases show up elsewhere: the 360 timeline, facts and alerts, quick actions, merges."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.cases.models import OPEN_STATUSES, Case, CaseActivity
from amanah.consent.contract import Purpose, register_contact_blocker
from amanah.customer360 import actions, alerts, timeline
from amanah.customer360.selectors import register_facts
from amanah.customers.merge import register_mover


def case_events(customer, *, since=None, until=None, limit=50):
    """Case activities as timeline events; sensitive categories are marked sensitive."""
    rows = timeline.in_window(
        CaseActivity.objects.filter(case__customer=customer).select_related("case__category"),
        "created_at",
        since,
        until,
    )
    return [
        timeline.TimelineEvent(
            at=a.created_at,
            kind="CASE",
            title=f"{a.case.case_no} · {a.get_activity_type_display()} · {a.case.category.name}",
            detail=a.message[:200]
            if a.activity_type != "FINAL_RESPONSE"
            else _("Jawaban akhir diberikan"),
            actor=a.actor_label,
            sensitive=a.case.category.is_sensitive,
            url=reverse("cases:detail", args=[a.case_id]),
        )
        for a in rows.order_by("-created_at")[:limit]
    ]


def case_facts(customer, actor) -> dict:
    """Open cases of the customer, for alerts and the 30-second summary (one query)."""
    open_cases = list(
        Case.objects.filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("category")
        .order_by("sla_due_at")
        .only("id", "case_no", "sla_due_at", "status", "category__is_sensitive", "category__code")
    )
    now = timezone.now()
    return {
        "cases": Case.objects.filter(customer=customer)
        .select_related("category")
        .order_by("-received_at")[:50],
        "open_cases": open_cases,
        "open_case": {"number": open_cases[0].case_no, "due_at": open_cases[0].sla_due_at}
        if open_cases
        else None,
        "overdue_cases": [
            c for c in open_cases if c.sla_due_at <= now and c.status != "WAITING_INFO"
        ],
        "open_sensitive_case": any(c.category.is_sensitive for c in open_cases),
    }


def _open_case(ctx):
    cases = ctx.facts.get("open_cases")
    if cases:
        return alerts.Alert(
            "OPEN_CASE",
            "warning",
            gettext_lazy("Ada kasus terbuka"),
            ", ".join(c.case_no for c in cases[:3]),
        )
    return None


def _overdue(ctx):
    if ctx.facts.get("overdue_cases"):
        return alerts.Alert("OVERDUE_SLA", "danger", gettext_lazy("SLA kasus terlampaui"))
    return None


def _fraud_case(ctx):
    if any(c.category.code == "FRAUD_SCAM" for c in ctx.facts.get("open_cases", [])):
        return alerts.Alert(
            "FRAUD_CASE",
            "danger",
            gettext_lazy("Kasus penipuan (fraud/scam) sedang ditangani"),
            overrides_marketing=True,
        )
    return None


def _open_sensitive_cases():
    return Case.objects.filter(status__in=OPEN_STATUSES, category__is_sensitive=True)


def _open_sensitive_case_exists() -> Exists:
    # TODO(cases): use the Exists form of the published cases.has_open_sensitive_case.
    return Exists(_open_sensitive_cases().filter(customer=OuterRef("pk")))


def move_cases(absorbed, survivor) -> int:
    """Merge mover: the complaints follow the person."""
    return Case.objects.filter(customer=absorbed).update(customer=survivor)


timeline.register("cases.activities", "CASE", case_events)
register_facts("cases", case_facts)
alerts.register("FRAUD_CASE", _fraud_case, order=5)
alerts.register("OVERDUE_SLA", _overdue, order=30)
alerts.register("OPEN_CASE", _open_case, order=40)
actions.register(
    actions.QuickAction(
        gettext_lazy("Buat kasus"), "case.create", lambda c: reverse("cases:create", args=[c.pk])
    )
)
actions.register(
    actions.QuickAction(
        gettext_lazy("Antrian kasus"), "case.queue", lambda c: reverse("cases:queue")
    )
)
register_mover("cases.cases", move_cases)
# No offer to a customer while a sensitive (fraud/scam) case is open: consent's contactability
# asks this rule instead of importing cases (consent is the lower app).
register_contact_blocker(
    "SENSITIVE_CASE",
    gettext_lazy("Ada kasus sensitif yang masih terbuka"),
    purposes=[Purpose.OFFER],
    condition=_open_sensitive_case_exists,
)
