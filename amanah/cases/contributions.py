"""How cases show up on pages other apps own (registered by ``cases.contract``): the 360
timeline's case lines, the customer's case facts and the alerts drawn from them, the merge
mover, and the case placeholders message templates may use."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.cases import selectors
from amanah.cases.models import OPEN_STATUSES, Case, CaseActivity
from amanah.cases.sensitivity import open_sensitive_case_exists
from amanah.core.choices import choice_label
from amanah.core.contributions import (
    Alert,
    TemplateVariable,
    TimelineEvent,
    in_window,
    timeline_read,
)
from amanah.core.prepared import prepared

# What a CASE line shows: the rest of the activity, its case and category is not read.
CASE_EVENT_FIELDS = (
    "created_at",
    "activity_type",
    "message",
    "actor_label",
    "case__case_no",
    "case__category__name",
    "case__category__is_sensitive",
)


@timeline_read(CaseActivity)
def _case_activities(actor, *, customer, since, until, limit):
    return in_window(
        CaseActivity.objects.visible_to(actor)
        .filter(case__customer=customer)
        .select_related("case__category")
        .only(*CASE_EVENT_FIELDS),
        "created_at",
        since,
        until,
    ).order_by("-created_at")[:limit]


def case_events(customer, *, actor, since=None, until=None, limit=50):
    """Activities of the customer's cases the actor may open; sensitive categories are marked
    sensitive (the timeline hides those from roles without the permission)."""
    rows = _case_activities(actor, customer=customer, since=since, until=until, limit=limit)
    return [
        TimelineEvent(
            at=a.created_at,
            kind="CASE",
            title=f"{a.case.case_no} · {choice_label(a, 'activity_type')} · {a.case.category.name}",
            detail=a.message[:200]
            if a.activity_type != "FINAL_RESPONSE"
            else _("Jawaban akhir diberikan"),
            actor=a.actor_label,
            sensitive=a.case.category.is_sensitive,
            url=reverse("cases:detail", args=[a.case_id]),
        )
        for a in rows
    ]


@prepared(Case, params=("customer",))
def _open_case_sensitivity(_actor, *, customer):
    return (
        Case.objects.filter(customer_id=customer.pk, status__in=OPEN_STATUSES)
        .annotate(sensitive=open_sensitive_case_exists("customer_id"))
        .values_list("sensitive", flat=True)[:1]
    )


def open_case_flags(customer) -> dict[str, bool]:
    """What anyone who may open the customer may know without seeing a case (seed 003 Bab
    6.3.4: "ada open case / tidak"): two booleans, never a row, a number or a text."""
    # One query for both: the sensitive one is the published set-based rule.
    flags = _open_case_sensitivity(None, customer=customer)
    return {"has_open_case": bool(flags), "open_sensitive_case": bool(flags and flags[0])}


def case_facts(customer, actor) -> dict:
    """The customer's cases the actor may open (Cases tab, alerts, 30-second summary), plus
    the yes/no flags every viewer of the customer may know."""
    visible = Case.objects.visible_to(actor).filter(customer=customer).select_related("category")
    open_cases = list(selectors.open_cases_of(customer, actor))
    now = timezone.now()
    return {
        **open_case_flags(customer),
        "cases": visible.order_by("-received_at")[:50],
        "open_cases": open_cases,
        "open_case": {"number": open_cases[0].case_no, "due_at": open_cases[0].sla_due_at}
        if open_cases
        else None,
        "overdue_cases": [
            c for c in open_cases if c.sla_due_at <= now and c.status != "WAITING_INFO"
        ],
    }


def open_case_alert(ctx):
    """Case numbers only for cases the actor may open; otherwise just "there is one"."""
    if ctx.facts.get("has_open_case"):
        cases = ctx.facts.get("open_cases") or []
        return Alert(
            "OPEN_CASE",
            "warning",
            gettext_lazy("Ada kasus terbuka"),
            # Why, even for a role that may not open the case: the numbers only if it may.
            ", ".join(c.case_no for c in cases[:3])
            or gettext_lazy("Nasabah punya pengaduan yang sedang ditangani."),
        )
    return None


def overdue_alert(ctx):
    if ctx.facts.get("overdue_cases"):
        return Alert(
            "OVERDUE_SLA",
            "danger",
            gettext_lazy("SLA kasus terlampaui"),
            _("Lewat batas waktu: %s")
            % ", ".join(c.case_no for c in ctx.facts["overdue_cases"][:3]),
        )
    return None


def fraud_case_alert(ctx):
    if any(c.category.code == "FRAUD_SCAM" for c in ctx.facts.get("open_cases", [])):
        return Alert(
            "FRAUD_CASE",
            "danger",
            gettext_lazy("Kasus penipuan (fraud/scam) sedang ditangani"),
            gettext_lazy("Jangan tawarkan produk sampai kasusnya selesai."),
            overrides_marketing=True,
        )
    return None


def sensitive_case_alert(ctx):
    """Roles who cannot open the sensitive case still must not offer anything meanwhile."""
    if ctx.facts.get("open_sensitive_case") and not fraud_case_alert(ctx):
        return Alert(
            "SENSITIVE_CASE",
            "danger",
            gettext_lazy("Ada kasus sensitif yang sedang ditangani"),
            gettext_lazy("Jangan tawarkan produk sampai kasusnya selesai."),
            overrides_marketing=True,
        )
    return None


def move_cases(absorbed, survivor) -> int:
    """Merge mover: the complaints follow the person."""
    return Case.objects.filter(customer=absorbed).update(customer=survivor)


def case_due(context) -> str:
    case = context["case"]
    local = timezone.localtime(case.sla_due_at, ZoneInfo(case.branch.timezone))
    return f"{local:%d-%m-%Y %H:%M} {case.branch.timezone_label}"


# Placeholders message templates may use (messaging's allow-list). The category is left out on
# purpose: a fraud case's category says more than a status message should.
TEMPLATE_VARIABLES = (
    (
        "case.case_no",
        TemplateVariable(
            gettext_lazy("Nomor kasus"), "case", lambda c: c["case"].case_no, "CMP-2026-000123"
        ),
    ),
    (
        "case.status",
        TemplateVariable(
            gettext_lazy("Status kasus"),
            "case",
            lambda c: c["case"].get_status_display(),
            "Diproses",
        ),
    ),
    (
        "case.due_at",
        TemplateVariable(
            gettext_lazy("Batas waktu penyelesaian kasus"),
            "case",
            case_due,
            "15-12-2026 17:00 WIB",
        ),
    ),
    (
        "case.final_response",
        TemplateVariable(
            gettext_lazy("Jawaban akhir kasus"),
            "case",
            lambda c: c["case"].final_response or "",
            "Dana Rp 2.500.000 telah dikembalikan ke rekening Anda.",
        ),
    ),
    (
        "sla_digest.summary",
        TemplateVariable(
            gettext_lazy("Ringkasan SLA (jumlah dan jenis)"),
            "sla_digest",
            lambda c: c["sla_digest"]["summary"],
            "3 kasus melewati batas SLA",
        ),
    ),
    (
        "sla_digest.breached_count",
        TemplateVariable(
            gettext_lazy("Jumlah kasus melewati SLA"),
            "sla_digest",
            lambda c: c["sla_digest"]["breached_count"],
            "3",
        ),
    ),
    (
        "sla_digest.warning_count",
        TemplateVariable(
            gettext_lazy("Jumlah kasus mendekati batas SLA"),
            "sla_digest",
            lambda c: c["sla_digest"]["warning_count"],
            "7",
        ),
    ),
)
