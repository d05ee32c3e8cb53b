"""What cases offer the rest of the house: the published rules (open sensitive case, may see
sensitive), the events cases emits, how cases show up elsewhere (the menu, the 360 timeline,
facts and alerts, quick actions, merges) and the case workflow (its default transitions and
guards).

Declarations and re-exports only: the implementations live in the app's modules
(``lookups``, ``contributions``, ``case_workflow``, ``services``, ``sensitivity`` …)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from amanah.audit.contract import register_object_labels
from amanah.cases import case_workflow, contributions, dashboard, receipts, services
from amanah.cases import legacy_attachments as _legacy_attachments  # noqa: F401 (its job's declared actor)
from amanah.cases import subject as _subject_section
from amanah.cases.classifier import selectors as classifier_selectors
from amanah.cases.lookups import case_categories, case_names, case_numbers
from amanah.cases.models import Case
from amanah.cases.notice_log import NoticeNotSent, case_notices_not_sent
from amanah.cases.panels import CasePanel, register_case_panel
from amanah.cases.policies import (
    CASE_DASHBOARD,
    CASE_DASHBOARD_OJK,
    CASE_INTAKE_ANY_BRANCH,
    CASE_QUEUE,
    CASE_VIEW,
    OJK_REPORT,
    SLA_MANAGE,
)
from amanah.cases.sensitivity import (
    has_open_sensitive_case,
    may_see_sensitive,
    open_sensitive_case_exists,
)
from amanah.cases.services import (
    CASE_PRIORITIZED,
    REPLY_MAX,
    case_for_reply,
    case_prioritize,
    case_reply_log,
    check_reply_text,
)
from amanah.cases.sweep import SLA_DIGEST
from amanah.consent.contract import Purpose, register_contact_blocker
from amanah.core import events, registry
from amanah.core.contributions import (
    NavItem,
    QuickAction,
    TimelineKind,
    TimelineProvider,
    Widget,
)
from amanah.documents.contract import VERSION_STORED, register_owner
from amanah.workflow.contract import declare_workflow, register_guard

# A reply to the customer from the case page (the messaging hub sends it, cases logs it):
# ``case_for_reply``, ``case_reply_log``, ``check_reply_text``, ``REPLY_MAX``. Raise an open
# case's priority (insight's Next Best Action "Prioritaskan kasus" on Accept):
# ``case_prioritize``, ``CASE_PRIORITIZED``.

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
registry.timeline_providers.register(
    "cases.activities", TimelineProvider("CASE", contributions.case_events)
)
registry.facts.register("cases", contributions.case_facts)
registry.alerts.register("FRAUD_CASE", contributions.fraud_case_alert, order=5)
registry.alerts.register("SENSITIVE_CASE", contributions.sensitive_case_alert, order=6)
registry.alerts.register("OVERDUE_SLA", contributions.overdue_alert, order=30)
registry.alerts.register("OPEN_CASE", contributions.open_case_alert, order=40)
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
registry.merge_movers.register("cases.cases", contributions.move_cases)

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
# Seed 003 Bab 7.4: the status machine of a complaint (``cases.case_workflow``).
for key, check, message, field in case_workflow.GUARDS:
    register_guard(key, check, message=message, field=field)
declare_workflow(case_workflow.CASE_WORKFLOW)

# Placeholders message templates may use (messaging's allow-list); the category is left out on
# purpose (``contributions.TEMPLATE_VARIABLES``).
for name, variable in contributions.TEMPLATE_VARIABLES:
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

# The audit viewer names a case by its number.
register_object_labels("cases.Case", label=gettext_lazy("Kasus"), names=case_names)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("cases", _subject_section.SECTION)


# The complaint classifier's suggestion on the case page (``cases.classifier``): shown to
# whoever may open the case; accepting or correcting it needs case.update (the view decides).
register_case_panel(
    "cases.category_suggestion",
    CasePanel(CASE_VIEW, "cases/_category_suggestion.html", classifier_selectors.suggestion_panel),
    order=10,
)
