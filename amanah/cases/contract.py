"""What cases offer the rest of the house: the published rules (open sensitive case, may see
sensitive), the events cases emits, how cases show up elsewhere (the menu, the 360 timeline,
facts and alerts, quick actions, merges) and the case workflow (its default transitions and
guards)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.audit.models import AuditAction
from amanah.cases import dashboard, receipts, selectors, services
from amanah.cases import legacy_attachments as _legacy_attachments  # noqa: F401 (its job's declared actor)
from amanah.cases import subject as _subject_section
from amanah.cases.classifier import selectors as classifier_selectors
from amanah.cases.models import OPEN_STATUSES, Case, CaseActivity, CaseCategory
from amanah.cases.models import CaseStatus as S
from amanah.cases.notice_log import NoticeNotSent, case_notices_not_sent
from amanah.cases.panels import CasePanel, register_case_panel
from amanah.cases.policies import (
    CASE_ASSIGN,
    CASE_CLOSE,
    CASE_DASHBOARD,
    CASE_DASHBOARD_OJK,
    CASE_INTAKE_ANY_BRANCH,
    CASE_QUEUE,
    CASE_REOPEN,
    CASE_UPDATE,
    CASE_VIEW,
    OJK_REPORT,
    SLA_MANAGE,
)
from amanah.cases.sensitivity import (
    has_open_sensitive_case,
    may_see_sensitive,
    open_sensitive_case_exists,
)
from amanah.cases.sweep import SLA_DIGEST
from amanah.consent.contract import Purpose, register_contact_blocker
from amanah.core import events, registry
from amanah.core.choices import choice_label
from amanah.core.contributions import (
    Alert,
    NavItem,
    QuickAction,
    TemplateVariable,
    TimelineEvent,
    TimelineKind,
    TimelineProvider,
    Widget,
    in_window,
    timeline_read,
)
from amanah.core.prepared import prepared
from amanah.documents.contract import VERSION_STORED, register_owner
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

# A reply to the customer from the case page (the messaging hub sends it, cases logs it).
case_for_reply = services.case_for_reply
case_reply_log = services.case_reply_log
check_reply_text = services.check_reply_text
REPLY_MAX = services.REPLY_MAX
# Raise an open case's priority (insight's Next Best Action "Prioritaskan kasus" on Accept).
case_prioritize = services.case_prioritize
CASE_PRIORITIZED = services.CASE_PRIORITIZED

__all__ = [
    "CASE_PRIORITIZED",
    "CasePanel",
    "case_prioritize",
    "REPLY_MAX",
    "case_for_reply",
    "case_reply_log",
    "check_reply_text",
    "NoticeNotSent",
    "case_notices_not_sent",
    "case_categories",
    "case_numbers",
    "has_open_sensitive_case",
    "may_see_sensitive",
    "open_sensitive_case_exists",
    "register_case_panel",
]


def case_categories() -> dict[str, str]:
    """``{code: name}`` of every complaint category, active ones and retired ones alike (an
    article written for a category stays tied to it); for apps that tag things by category."""
    return dict(CaseCategory.objects.order_by("code").values_list("code", "name"))


def case_numbers(ids, *, actor) -> dict[str, str]:
    """``{case id: case number}`` for the ids of cases the actor may open, in one query (the
    messaging hub names a message's source with it; cases out of scope get no number)."""
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(str(value)))
        except (TypeError, ValueError, AttributeError):
            continue
    if not valid:
        return {}
    rows = Case.objects.visible_to(actor).filter(pk__in=valid).values_list("pk", "case_no")
    return {str(pk): case_no for pk, case_no in rows}


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


def _open_case(ctx):
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


def _overdue(ctx):
    if ctx.facts.get("overdue_cases"):
        return Alert(
            "OVERDUE_SLA",
            "danger",
            gettext_lazy("SLA kasus terlampaui"),
            _("Lewat batas waktu: %s")
            % ", ".join(c.case_no for c in ctx.facts["overdue_cases"][:3]),
        )
    return None


def _fraud_case(ctx):
    if any(c.category.code == "FRAUD_SCAM" for c in ctx.facts.get("open_cases", [])):
        return Alert(
            "FRAUD_CASE",
            "danger",
            gettext_lazy("Kasus penipuan (fraud/scam) sedang ditangani"),
            gettext_lazy("Jangan tawarkan produk sampai kasusnya selesai."),
            overrides_marketing=True,
        )
    return None


def _sensitive_case(ctx):
    """Roles who cannot open the sensitive case still must not offer anything meanwhile."""
    if ctx.facts.get("open_sensitive_case") and not _fraud_case(ctx):
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


# Emitted by case_close inside its transaction: fn(*, actor, case).
events.declare("cases.case_closed")
# Emitted by case_create inside its transaction: fn(*, actor, case) — the receipt to the
# customer hangs off it (messaging, deferred). Status moves are "cases.case.transitioned".
events.declare(services.CASE_CREATED)
# Emitted by case_prioritize inside its transaction: fn(*, actor, case, previous).
events.declare(services.CASE_PRIORITIZED)
# The receipt is issued (made, signed, kept as the case's RECEIPT document) right after the
# case commits; idempotent, so a retried job adds nothing (cases.receipts).
events.on(services.CASE_CREATED, receipts.receipt_issue_on_create, deferred=True)
# Emitted inside the transaction that gives a complaint its category from a decision — the
# classifier's automatic setting (at intake, or by the training job for a complaint that waited
# for a model) or an agent's choice at intake (with or without the classifier), an agent
# accepting or correcting a suggestion: fn(*, actor, case, source), ``source`` AUTO / MANUAL /
# ACCEPTED / CORRECTED (``cases.models.SuggestionStatus``). Not for a complaint still waiting
# for an agent or a model (the category it waits under is no decision). The utility's area
# incidents group on it.
events.declare(services.CASE_CLASSIFIED)
# A sweep run's digest of one step, emitted in the transaction that set the run's last marks:
# fn(*, actor, kind, title, at, url, counts) — ``kind`` warning/breach/regulatory, ``title``
# the digest's words after the count, ``at`` the run's clock (ISO), ``counts`` [[user id,
# number of marked cases]] per recipient (assignee, branch supervisors). The messaging hub
# turns it into one IN_APP and one EMAIL message per recipient.
events.declare(SLA_DIGEST)

registry.navigation.register(
    "cases.mine", NavItem(gettext_lazy("Kasus saya"), "cases:mine", CASE_VIEW), order=19
)
registry.navigation.register(
    "cases.intake_find",
    NavItem(gettext_lazy("Pengaduan cabang lain"), "cases:intake_find", CASE_INTAKE_ANY_BRANCH),
    order=21,
)
registry.navigation.register(
    "cases.queue", NavItem(gettext_lazy("Antrian kasus"), "cases:queue", CASE_QUEUE), order=20
)
registry.navigation.register(
    "cases.ojk_report",
    NavItem(gettext_lazy("Laporan pengaduan OJK"), "cases:ojk_report", OJK_REPORT),
    order=112,
)
registry.navigation.register(
    "cases.sla_settings",
    NavItem(gettext_lazy("Kategori & SLA"), "cases:sla_settings", SLA_MANAGE, "admin"),
    order=240,
)
registry.navigation.register(
    "cases.routing_rules",
    NavItem(gettext_lazy("Aturan routing kasus"), "cases:routing_rules", SLA_MANAGE, "admin"),
    order=241,
)
registry.timeline_kinds.register("CASE", TimelineKind(gettext_lazy("Kasus")), order=10)
registry.timeline_providers.register("cases.activities", TimelineProvider("CASE", case_events))
registry.facts.register("cases", case_facts)
registry.alerts.register("FRAUD_CASE", _fraud_case, order=5)
registry.alerts.register("SENSITIVE_CASE", _sensitive_case, order=6)
registry.alerts.register("OVERDUE_SLA", _overdue, order=30)
registry.alerts.register("OPEN_CASE", _open_case, order=40)
registry.quick_actions.register(
    "cases.create",
    QuickAction(
        gettext_lazy("Buat kasus"), "case.create", lambda c: reverse("cases:create", args=[c.pk])
    ),
    order=30,
)
registry.quick_actions.register(
    "cases.queue",
    QuickAction(gettext_lazy("Antrian kasus"), "case.queue", lambda c: reverse("cases:queue")),
    order=40,
)
registry.merge_movers.register("cases.cases", move_cases)

# Dashboard widgets (issue 15): aggregates per branch, computed by the dashboards' refresh job.
registry.dashboard_widgets.register(
    "cases.sla_compliance",
    Widget(
        gettext_lazy("Kepatuhan SLA per bulan"),
        CASE_DASHBOARD,
        personal_data=False,
        compute=dashboard.sla_compute,
        present=dashboard.sla_present,
        chart="line",
        note=gettext_lazy("Kasus dengan jawaban akhir, menurut bulan jawaban (12 bulan)."),
    ),
    order=10,
)
registry.dashboard_widgets.register(
    "cases.backlog_age",
    Widget(
        gettext_lazy("Backlog menurut umur"),
        CASE_DASHBOARD,
        personal_data=False,
        compute=dashboard.backlog_compute,
        present=dashboard.backlog_present,
        note=gettext_lazy("Kasus terbuka, hari kalender sejak diterima."),
    ),
    order=20,
)
registry.dashboard_widgets.register(
    "cases.volume_category_branch",
    Widget(
        gettext_lazy("Volume pengaduan per kategori dan cabang"),
        CASE_DASHBOARD,
        personal_data=False,
        compute=dashboard.volume_compute,
        present=dashboard.volume_present,
        note=gettext_lazy("Pengaduan diterima dalam 12 bulan terakhir."),
    ),
    order=30,
)
registry.dashboard_widgets.register(
    "cases.volume_trend",
    Widget(
        gettext_lazy("Tren bulanan pengaduan per kategori"),
        CASE_DASHBOARD,
        personal_data=False,
        compute=dashboard.volume_compute,
        present=dashboard.trend_present,
        chart="line",
        note=gettext_lazy("Pengaduan diterima per bulan, 12 bulan terakhir."),
    ),
    order=40,
)
registry.dashboard_widgets.register(
    "cases.ojk_day20",
    Widget(
        gettext_lazy("Tanda hari ke-20 OJK"),
        CASE_DASHBOARD_OJK,
        personal_data=False,
        compute=dashboard.ojk_compute,
        present=dashboard.ojk_present,
        note=gettext_lazy("Pengaduan regulasi yang masih terbuka, per cabang."),
    ),
    order=50,
)
# No offer to a customer while a sensitive (fraud/scam) case is open: consent's contactability
# asks this rule instead of importing cases (consent is the lower app).
register_contact_blocker(
    "SENSITIVE_CASE",
    gettext_lazy("Ada kasus sensitif yang masih terbuka"),
    purposes=[Purpose.OFFER],
    condition=open_sensitive_case_exists,
)


# --------------------------------------------------------------------------- workflow
# Seed 003 Bab 7.4: the status machine of a complaint. The moves are data (ADMIN may change a
# move's permission or guard, or switch it off, on the workflow page); the fields and activity
# line each move implies are ``services.case_on_apply``. The SLA sweep's escalation of breached
# cases is the system's bulk mark (cases.sweep, set-based), not a person's move.

HAS_FINAL_RESPONSE = register_guard(
    "cases.case.has_final_response",
    services.has_final_response,
    message=gettext_lazy("Kasus tidak dapat ditutup sebelum jawaban akhir diisi."),
    field="final_response",
)
FINAL_RESPONSE_LONG_ENOUGH = register_guard(
    "cases.case.final_response_long_enough",
    services.final_response_long_enough,
    message=gettext_lazy("Jawaban akhir minimal 20 karakter."),
    field="final_response",
)
# Since issue 16 the resolve move asks for the resolution code with the final response; the
# guard above stays registered for rows an ADMIN set to it (migration 0008 moves the default).
RESOLUTION_READY = register_guard(
    "cases.case.resolution_ready",
    services.resolution_ready,
    message=gettext_lazy(
        "Jawaban akhir minimal 20 karakter dan kode penyelesaian dari daftar yang berlaku."
    ),
    field="resolution_code",
)
HAS_ESCALATION_REASON = register_guard(
    "cases.case.has_escalation_reason",
    services.has_escalation_reason,
    message=gettext_lazy("Tuliskan alasan eskalasi (minimal 10 karakter)."),
    field="reason",
)

WITHIN_REOPEN_WINDOW = register_guard(
    "cases.case.within_reopen_window",
    services.within_reopen_window,
    message=gettext_lazy(
        "Kasus hanya dapat dibuka kembali dalam batas hari setelah ditutup, dengan alasan."
    ),
    field="reason",
)
DUPLICATE_TARGET_VALID = register_guard(
    "cases.case.duplicate_target_valid",
    services.duplicate_target_valid,
    message=gettext_lazy("Kasus asal harus kasus lain dalam cakupan Anda yang bukan duplikat."),
    field="duplicate_of",
)


def _to_cancelled(source: str) -> TransitionSpec:
    """Cancel as a duplicate: who may close a case may say it repeats another one."""
    return TransitionSpec(
        source,
        S.CANCELLED,
        CASE_CLOSE,
        gettext_noop("Batalkan sebagai duplikat"),
        guard=DUPLICATE_TARGET_VALID,
        required=("duplicate_of",),
        audit_action=AuditAction.CLOSE_CASE,
    )


def _to_escalated(source: str) -> TransitionSpec:
    return TransitionSpec(
        source,
        S.ESCALATED,
        CASE_ASSIGN,
        gettext_noop("Eskalasi"),
        guard=HAS_ESCALATION_REASON,
        required=("reason",),
        audit_action=AuditAction.ESCALATE_CASE,
    )


def _to_resolved(source: str) -> TransitionSpec:
    return TransitionSpec(
        source,
        S.RESOLVED,
        CASE_UPDATE,
        gettext_noop("Jawaban akhir"),
        guard=RESOLUTION_READY,
        required=("final_response", "resolution_code"),
        audit_action=AuditAction.FINAL_RESPONSE,
    )


declare_workflow(
    WorkflowSpec(
        key="cases.case",
        model="cases.Case",
        status_field="status",
        label=gettext_noop("Kasus"),
        audit_action=AuditAction.UPDATE_CASE,
        on_apply=services.case_on_apply,
        transitions=(
            # By hand, from the case page (labels: the statuses they lead to).
            TransitionSpec(S.NEW, S.IN_PROGRESS, CASE_UPDATE, gettext_noop("Diproses")),
            TransitionSpec(
                S.IN_PROGRESS, S.WAITING_INFO, CASE_UPDATE, gettext_noop("Menunggu info nasabah")
            ),
            TransitionSpec(S.WAITING_INFO, S.IN_PROGRESS, CASE_UPDATE, gettext_noop("Diproses")),
            # Taking an escalated case back, or reopening a resolved one: the supervisor's call.
            TransitionSpec(
                S.ESCALATED,
                S.IN_PROGRESS,
                CASE_REOPEN,
                gettext_noop("Ditarik dari eskalasi (Diproses)"),
            ),
            TransitionSpec(
                S.RESOLVED, S.IN_PROGRESS, CASE_REOPEN, gettext_noop("Buka kembali (Diproses)")
            ),
            # With their own forms: escalation (a reason), the final response, the close.
            *(_to_escalated(source) for source in (S.NEW, S.IN_PROGRESS, S.WAITING_INFO)),
            *(_to_resolved(source) for source in (S.NEW, S.IN_PROGRESS, S.ESCALATED)),
            # Reopening a closed case: within CASE_REOPEN_DAYS, with a reason (case_reopen).
            TransitionSpec(
                S.CLOSED,
                S.IN_PROGRESS,
                CASE_REOPEN,
                gettext_noop("Buka kembali"),
                guard=WITHIN_REOPEN_WINDOW,
                required=("reason",),
            ),
            *(_to_cancelled(source) for source in OPEN_STATUSES),
            TransitionSpec(
                S.RESOLVED,
                S.CLOSED,
                CASE_CLOSE,
                gettext_noop("Tutup"),
                guard=HAS_FINAL_RESPONSE,
                required=("resolution_code",),
                audit_action=AuditAction.CLOSE_CASE,
            ),
        ),
    )
)


def _case_due(context) -> str:
    case = context["case"]
    local = timezone.localtime(case.sla_due_at, ZoneInfo(case.branch.timezone))
    return f"{local:%d-%m-%Y %H:%M} {case.branch.timezone_label}"


# Placeholders message templates may use (messaging's allow-list). The category is left out on
# purpose: a fraud case's category says more than a status message should.
for name, variable in (
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
            _case_due,
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
):
    registry.template_variables.register(name, variable)

# Documents of a case (evidence, receipts): their scope follows the case's.
register_owner(
    "cases.Case",
    label=gettext_lazy("Kasus"),
    url=lambda case: reverse("cases:detail", args=[case.pk]),
    describe=lambda case: case.case_no,
    # A sensitive (fraud/scam) case's evidence is one of its details.
    may_open=may_see_sensitive,
    # the customer's cases: their documents are in the access export (UU PDP)
    of_customer=lambda customer: Case.objects.filter(customer=customer),
)
# A case's documents (the intake's attachment, later uploads, signatures) in its activity log.
events.on(VERSION_STORED, services.case_log_document)


def _case_names(ids: list[str]) -> dict[str, str]:
    rows = Case.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "case_no")
    return {str(pk): case_no for pk, case_no in rows}


# The audit viewer names a case by its number.
register_object_labels("cases.Case", label=gettext_lazy("Kasus"), names=_case_names)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("cases", _subject_section.SECTION)


# The complaint classifier's suggestion on the case page (``cases.classifier``): shown to
# whoever may open the case; accepting or correcting it needs case.update (the view decides).
register_case_panel(
    "cases.category_suggestion",
    CasePanel(CASE_VIEW, "cases/_category_suggestion.html", classifier_selectors.suggestion_panel),
    order=10,
)
