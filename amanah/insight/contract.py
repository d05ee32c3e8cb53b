"""What insight offers the house: the customer's value on the 360 (facts, a card with a header
badge, two alerts of seed 001 §7), the RFM signal for lead scoring, the merge mover for
transactions, its events and its admin menu entry.

The other five alert types of seed 001 §7 are already registered by their owners
(CONSENT_WITHDRAWN, FRAUD_FLAG/FRAUD_CASE, VIP_CUSTOMER by the 360 and cases; OVERDUE_SLA
and OPEN_CASE by cases); the 360 shows all of them ordered by severity.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from amanah.core import events, registry
from amanah.core.contributions import (
    Alert,
    Card,
    NavItem,
    Tab,
    TemplateVariable,
    TimelineKind,
    TimelineProvider,
    Widget,
)
from amanah.iam import authz
from amanah.insight import imports as transaction_imports
from amanah.insight import scoring as lead_scoring
from amanah.insight import selectors, services
from amanah.insight import subject as _subject_section
from amanah.insight.merchants import dashboard as merchant_dashboard
from amanah.insight.merchants import selectors as merchant_selectors
from amanah.insight.merchants import services as merchant_services
from amanah.insight.nba import dashboard as nba_dashboard
from amanah.insight.nba import outcomes as nba_outcomes
from amanah.insight.nba import selectors as nba_selectors
from amanah.insight.nba import services as nba_services
from amanah.insight.nba.evaluate import evaluate as nba_evaluate
from amanah.insight.nba.models import ChangeStatus
from amanah.insight.policies import (
    MERCHANT_DASHBOARD,
    MERCHANT_RECOMMEND,
    MERCHANT_VIEW,
    NBA_DASHBOARD,
    NBA_DECIDE,
    NBA_PORTFOLIO_VIEW,
    NBA_RULE_APPROVE,
    NBA_RULE_VIEW,
    NBA_VIEW,
    RECOVERY_APPROVE,
    RECOVERY_DASHBOARD,
    RECOVERY_SEND,
    RECOVERY_TRIGGER_MANAGE,
    RECOVERY_VIEW,
    RFM_RUN,
    RFM_VIEW,
)
from amanah.insight.recovery import dashboard as recovery_dashboard
from amanah.insight.recovery import selectors as recovery_selectors
from amanah.insight.recovery import services as recovery_services
from amanah.insight.recovery.models import RecoveryStatus
from amanah.insight.rules import Segment
from amanah.sales.scoring import register_signal, rescore_on_event
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = ["insight_facts", "nba_facts"]

HIGH_PRIORITIES = ("HIGH", "CRITICAL")


def insight_facts(customer, actor) -> dict:
    """The last two RFM results the actor may see (``rfm``, ``rfm_previous``); none for a
    customer who objected to profiling, and ``rfm_not_profiled`` says so."""
    scores = selectors.rfm_latest(customer, actor)
    return {
        "rfm": scores[0] if scores else None,
        "rfm_previous": scores[1] if len(scores) > 1 else None,
        "rfm_not_profiled": selectors.value_not_profiled(customer, actor),
    }


def _at_risk(ctx) -> Alert | None:
    rfm = ctx.facts.get("rfm")
    if rfm is not None and rfm.segment == Segment.AT_RISK:
        return Alert("AT_RISK_SEGMENT", "info", gettext_lazy("Segmen RFM: Berisiko"), rfm.reason)
    return None


def _high_priority_case(ctx) -> Alert | None:
    """Only cases the actor may open (the cases app's facts) are named."""
    urgent = [c for c in ctx.facts.get("open_cases", []) if c.priority in HIGH_PRIORITIES]
    if urgent:
        return Alert(
            "HIGH_PRIORITY_CASE",
            "warning",
            gettext_lazy("Kasus berprioritas tinggi"),
            ", ".join(f"{c.case_no} ({c.get_priority_display()})" for c in urgent[:3]),
        )
    return None


# fn(*, actor, count, first_id, last_id): a batch of transactions was stored (count = new
# rows; first_id..last_id = their ids, None when none was new).
events.declare(services.TRANSACTIONS_RECORDED)
# Booked transactions as a batch import target (integrations runs the pipeline).
registry.import_targets.register("insight.transactions", transaction_imports.TARGET, order=20)
# fn(*, actor, run): an RFM run finished; its scores are in the same transaction.
events.declare(services.RFM_COMPUTED)

registry.facts.register("insight", insight_facts)
registry.cards.register(
    "insight.customer_value",
    Card(
        gettext_lazy("Nilai Nasabah"),
        "insight/_value_card.html",
        RFM_VIEW,
        badge_template="insight/_value_badge.html",
    ),
    order=10,
)
registry.alerts.register("HIGH_PRIORITY_CASE", _high_priority_case, order=45)
registry.alerts.register("AT_RISK_SEGMENT", _at_risk, order=65)
registry.merge_movers.register("insight.transactions", services.move_transactions)
registry.navigation.register(
    "insight.rfm_runs",
    NavItem(gettext_lazy("Perhitungan RFM"), "insight:rfm_runs", RFM_RUN, "admin"),
    order=260,
)
# Lead score signals of seed 001 §8 whose data insight can read (insight.scoring).
register_signal("RFM_SEGMENT", lead_scoring.rfm_signal)
register_signal("RECENT_ENGAGEMENT", lead_scoring.recent_engagement_signal)
register_signal("EMAIL_OPENED", lead_scoring.email_opened_signal)
register_signal("BRANCH_VISIT", lead_scoring.branch_visit_signal)
# ... and the leads are scored again when those signals move.
events.on(
    services.RFM_COMPUTED,
    lead_scoring.rescore_after_rfm,
    deferred=True,
    key="insight.rescore_leads",
)
events.on(
    services.TRANSACTIONS_RECORDED,
    lead_scoring.rescore_after_transactions,
    key="insight.rescore_leads",
)
events.on("messaging.engagement_recorded", rescore_on_event, key="insight.rescore_leads")
events.on(
    "cases.case_created", lead_scoring.rescore_after_counter_case, key="insight.rescore_leads"
)


# --------------------------------------------------------------------------- Next Best Action
# (seed 001 §4): the panel on the 360 (facts + card), the top recommendation for the
# "Ringkasan 30 detik", the rule-change workflow (four eyes), outcomes from won/lost leads.


def nba_facts(customer, actor) -> dict:
    """``nba``: the live arbitration for this customer as the actor sees it (its reads go
    through ``visible_to(actor)``), or None when the role is not shown recommendations;
    ``nba_can_decide`` for the buttons."""
    if not authz.has_perm(actor, NBA_VIEW):
        return {"nba": None, "nba_can_decide": False, "nba_pending": []}
    can_decide = authz.has_perm(actor, NBA_DECIDE)
    return {
        "nba": nba_evaluate(customer, actor),
        "nba_can_decide": can_decide,
        "nba_pending": nba_selectors.pending_outcomes(customer, actor) if can_decide else [],
    }


registry.facts.register("insight.nba", nba_facts)
# The RM's worklist from the nightly run, with the count of customers waiting in the badge.
registry.navigation.register(
    "insight.nba_portfolio",
    NavItem(
        gettext_lazy("Rekomendasi"),
        "insight:nba_portfolio",
        NBA_PORTFOLIO_VIEW,
        badge=nba_selectors.portfolio_badge,
    ),
    order=55,
)
registry.cards.register(
    "insight.nba",
    Card(gettext_lazy("Aksi Terbaik Berikutnya"), "insight/_nba_card.html", NBA_VIEW),
    order=5,
)
events.declare(nba_services.NBA_DECIDED)
events.declare(nba_services.NBA_PORTFOLIOS_REFRESHED)
events.declare(nba_services.NBA_OUTCOME)
events.declare(nba_services.NBA_RULE_PROPOSED)
# Outcomes of accepted recommendations from the facts (nba.outcomes): a lead won or lost, a
# transaction after an offer, the prioritised case closed, the sent message delivered.
events.declare(nba_outcomes.NBA_OUTCOMES_SETTLED)
events.on("sales.lead.transitioned", nba_outcomes.from_lead, key="insight.nba_lead_outcome")
events.on(
    services.TRANSACTIONS_RECORDED,
    nba_outcomes.from_transactions,
    key="insight.nba_transaction_outcome",
)
events.on("cases.case_closed", nba_outcomes.from_case_closed, key="insight.nba_case_outcome")
events.on(
    "messaging.message_status_changed",
    nba_outcomes.from_message_status,
    key="insight.nba_message_outcome",
)

NBA_FOUR_EYES = register_guard(
    "insight.nba_rule_change.four_eyes",
    lambda change, data: not nba_services.made_by(change, data.get("actor")),
    message=gettext_lazy("Keputusan butuh pihak kedua: pengusul tidak boleh memutuskan usulannya."),
)
declare_workflow(
    WorkflowSpec(
        key="insight.nba_rule_change",
        model="insight.NbaRuleChange",
        status_field="status",
        label=gettext_noop("Perubahan aturan NBA"),
        audit_action="DECIDE_NBA_RULE",
        on_apply=nba_services.change_on_apply,
        transitions=(
            TransitionSpec(
                ChangeStatus.PROPOSED,
                ChangeStatus.APPROVED,
                NBA_RULE_APPROVE,
                gettext_noop("Setujui"),
                guard=NBA_FOUR_EYES,
            ),
            TransitionSpec(
                ChangeStatus.PROPOSED,
                ChangeStatus.REJECTED,
                NBA_RULE_APPROVE,
                gettext_noop("Tolak"),
                guard=NBA_FOUR_EYES,
            ),
        ),
    )
)
registry.navigation.register(
    "insight.nba_rules",
    NavItem(gettext_lazy("Aturan NBA"), "insight:nba_rules", NBA_RULE_VIEW, "admin"),
    order=261,
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("insight", _subject_section.SECTION)


# --------------------------------------------------------------------------- service recovery
# (seed 001 §3): the case events' handlers (set-based), the supervisors' notice, the workflow
# with four eyes above the value threshold, the work list in the menu, the 360 timeline line.

events.declare(recovery_services.RECOVERIES_CREATED)
events.on("cases.case_closed", recovery_services.on_case_closed, key="insight.recovery_on_close")
# The sweep emits one digest per run and step (never one event per case): a job after the
# sweep's transaction evaluates every case that run breached in one statement.
events.on(
    "cases.sla_digest",
    recovery_services.on_sla_digest,
    deferred=True,
    key="insight.recovery_on_breach",
)
events.on(
    recovery_services.RECOVERIES_CREATED,
    recovery_services.notify_supervisors,
    key="insight.recovery_notify",
)

RECOVERY_FOUR_EYES = register_guard(
    "insight.service_recovery.four_eyes",
    lambda recovery, data: not recovery_services.made_by(recovery, data.get("actor")),
    message=gettext_lazy(
        "Persetujuan butuh pihak kedua: pengusul pemulihan tidak boleh menyetujuinya."
    ),
)
RECOVERY_WITHIN_THRESHOLD = register_guard(
    "insight.service_recovery.within_threshold",
    lambda recovery, data: recovery_services.within_threshold(recovery),
    message=gettext_lazy(
        "Nilai pemulihan di atas batas: perlu persetujuan supervisor sebelum dikirim."
    ),
)
_R = RecoveryStatus
declare_workflow(
    WorkflowSpec(
        key=recovery_services.WORKFLOW,
        model="insight.ServiceRecovery",
        status_field="status",
        label=gettext_noop("Pemulihan layanan"),
        audit_action="MOVE_RECOVERY",
        on_apply=recovery_services.recovery_on_apply,
        transitions=(
            TransitionSpec(
                _R.PENDING,
                _R.APPROVED,
                RECOVERY_APPROVE,
                gettext_noop("Setujui"),
                guard=RECOVERY_FOUR_EYES,
            ),
            TransitionSpec(
                _R.PENDING,
                _R.SENT,
                RECOVERY_SEND,
                gettext_noop("Kirim"),
                guard=RECOVERY_WITHIN_THRESHOLD,
            ),
            TransitionSpec(_R.APPROVED, _R.SENT, RECOVERY_SEND, gettext_noop("Kirim")),
            TransitionSpec(_R.SENT, _R.CLAIMED, RECOVERY_SEND, gettext_noop("Tandai diklaim")),
            TransitionSpec(_R.SENT, _R.EXPIRED, RECOVERY_SEND, gettext_noop("Tandai kedaluwarsa")),
        ),
    )
)
events.declare(recovery_services.TRIGGER_CHANGED)
registry.navigation.register(
    "insight.recovery_triggers",
    NavItem(
        gettext_lazy("Pemicu pemulihan layanan"),
        "insight:recovery_triggers",
        RECOVERY_TRIGGER_MANAGE,
        "admin",
    ),
    order=262,
)
registry.navigation.register(
    "insight.recoveries",
    NavItem(gettext_lazy("Pemulihan layanan"), "insight:recovery_list", RECOVERY_VIEW),
    order=24,
)
registry.timeline_kinds.register(
    "RECOVERY", TimelineKind(gettext_lazy("Pemulihan layanan")), order=15
)
registry.timeline_providers.register(
    "insight.recoveries", TimelineProvider("RECOVERY", recovery_selectors.recovery_events)
)
registry.merge_movers.register("insight.recoveries", recovery_services.move_recoveries)
registry.dashboard_widgets.register(
    "insight.service_recovery",
    Widget(
        gettext_lazy("Pemulihan layanan per tawaran"),
        RECOVERY_DASHBOARD,
        personal_data=False,
        compute=recovery_dashboard.compute,
        present=recovery_dashboard.present,
        note=gettext_lazy("Pemulihan yang dibuat dalam 12 bulan terakhir."),
    ),
    order=60,
)


# --------------------------------------------------------------------------- hyperlocal merchants
# (seed 001 §2): the partners' pages (MARKETING), the "Promo Merchant" tab of the 360, the
# WhatsApp template's placeholders, statuses from the hub's and the feed's events, conversion
# per merchant and city for dashboards.


def _merchant_tab(customer, actor) -> dict:
    return {"promo": merchant_selectors.suggestions_for(customer, actor=actor)}


def _promo_url(context) -> str:
    from django.conf import settings
    from django.urls import reverse

    token = merchant_services.click_token(context["merchant_promo"])
    return settings.PUBLIC_URL.rstrip("/") + reverse("insight:merchant_click", args=[token])


events.declare(merchant_services.MERCHANT_SAVED)
events.declare(merchant_services.MERCHANT_RECOMMENDED)
events.declare(merchant_services.RECOMMENDATIONS_MOVED)
events.on(
    services.TRANSACTIONS_RECORDED,
    merchant_services.convert_recommendations,
    key="insight.merchant_conversions",
)
events.on(
    "messaging.message_status_changed",
    merchant_services.on_message_status,
    key="insight.merchant_sent",
)
registry.navigation.register(
    "insight.merchants",
    NavItem(gettext_lazy("Merchant mitra"), "insight:merchant_list", MERCHANT_VIEW),
    order=57,
)
registry.workspace_tabs.register(
    "merchant_promo",
    Tab(
        gettext_lazy("Promo Merchant"),
        "insight/_merchant_tab.html",
        MERCHANT_RECOMMEND,
        _merchant_tab,
    ),
    order=40,
)
registry.merge_movers.register(
    "insight.merchant_recommendations", merchant_services.move_recommendations
)
for _name, _variable in (
    (
        "merchant.name",
        TemplateVariable(
            gettext_lazy("Nama merchant mitra"),
            "merchant_promo",
            lambda c: c["merchant_promo"].merchant.name,
            "Kopi Kesawan",
        ),
    ),
    (
        "merchant.promo",
        TemplateVariable(
            gettext_lazy("Teks promo merchant"),
            "merchant_promo",
            lambda c: c["merchant_promo"].merchant.promo_text,
            "Diskon 20% bayar pakai QRIS",
        ),
    ),
    (
        "merchant.url",
        TemplateVariable(
            gettext_lazy("Tautan promo merchant (pribadi)"),
            "merchant_promo",
            _promo_url,
            "https://crm.bank.co.id/insight/m/…",
        ),
    ),
):
    registry.template_variables.register(_name, _variable)
registry.dashboard_widgets.register(
    "insight.merchant_conversion",
    Widget(
        gettext_lazy("Konversi rekomendasi merchant per kota"),
        MERCHANT_DASHBOARD,
        personal_data=False,
        compute=merchant_dashboard.compute,
        present=merchant_dashboard.present,
        note=gettext_lazy("Rekomendasi yang dibuat dalam 12 bulan terakhir."),
    ),
    order=61,
)
registry.dashboard_widgets.register(
    "insight.nba_rates",
    Widget(
        gettext_lazy("Next Best Action: penerimaan dan keberhasilan per jenis aksi"),
        NBA_DASHBOARD,
        personal_data=False,
        compute=nba_dashboard.compute,
        present=nba_dashboard.present,
        note=gettext_lazy("Keputusan atas rekomendasi dalam 12 bulan terakhir."),
    ),
    order=62,
)
