"""Insight pages: the RFM runs (ADMIN) with the segment counts and the movement since the
previous run, and "Hitung sekarang"; NBA decisions and outcomes from the 360 panel, the NBA
rules with their open proposals (four eyes) and the acceptance and success rates; the RM's
worklist of portfolio customers with recommendations (from the nightly run); the service
recovery list with its decisions."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.permissions import PUBLIC
from amanah.core.view_helpers import Done, run_action, run_json, submit_form, wants_json
from amanah.core.views import requires
from amanah.customers.contract import customer_for
from amanah.iam import authz
from amanah.insight import selectors, services
from amanah.insight.forms import (
    DecideForm,
    MerchantFilterForm,
    MerchantForm,
    MoveForm,
    OutcomeForm,
    RuleForm,
    SendMerchantForm,
    TriggerForm,
)
from amanah.insight.merchants import selectors as merchant_selectors
from amanah.insight.merchants import services as merchant_services
from amanah.insight.merchants.models import RecommendationStatus
from amanah.insight.nba import selectors as nba_selectors
from amanah.insight.nba import services as nba_services
from amanah.insight.nba.models import ChangeStatus, Decision, Outcome
from amanah.insight.policies import (
    MERCHANT_MANAGE,
    MERCHANT_RECOMMEND,
    MERCHANT_VIEW,
    NBA_DECIDE,
    NBA_PORTFOLIO_VIEW,
    NBA_RULE_APPROVE,
    NBA_RULE_PROPOSE,
    NBA_RULE_VIEW,
    RECOVERY_TRIGGER_MANAGE,
    RECOVERY_VIEW,
    RFM_RUN,
)
from amanah.insight.recovery import selectors as recovery_selectors
from amanah.insight.recovery import services as recovery_services
from amanah.insight.recovery.models import RecoveryStatus, ServiceRecovery
from amanah.insight.rules import Segment
from amanah.workflow.contract import available_transitions, moves_by_status


def _segment_rows(run) -> list[dict]:
    total = max(run.customers, 1)
    return [
        {
            "code": code,
            "label": label,
            "customers": run.counts.get(code, 0),
            "share": 100 * run.counts.get(code, 0) / total,
        }
        for code, label in Segment.choices
    ]


@requires(RFM_RUN)
def rfm_runs(request):
    runs = selectors.rfm_run_list(actor=request.user)
    latest = runs[0] if runs else None
    labels = dict(Segment.choices)
    movement = [
        {**m, "from_label": labels.get(m["from"], "—"), "to_label": labels[m["to"]]}
        for m in (selectors.rfm_movement(actor=request.user, run=latest) if latest else [])
    ]
    return render(
        request,
        "insight/rfm_runs.html",
        {
            "runs": runs,
            "latest": latest,
            "segments": _segment_rows(latest) if latest else [],
            "movement": movement,
        },
    )


@requires(RFM_RUN)
@require_POST
def rfm_run_now(request):
    def run():
        done = services.rfm_run_compute(actor=request.user, trigger="MANUAL")
        return _("RFM dihitung untuk %(n)s nasabah dalam %(s).1f detik.") % {
            "n": done.customers,
            "s": done.seconds,
        }

    return run_action(request, run, back=reverse("insight:rfm_runs"))


# --------------------------------------------------------------------------- Next Best Action


def _nba_back(customer_id) -> str:
    return reverse("customer360:workspace", args=[customer_id]) + "#nba"


@requires(NBA_DECIDE)
@require_POST
def nba_decide(request, customer_id):
    """Accept / Reject / Snooze from the 360 panel (a form: flash + 303; a script asking for
    JSON: the API's error shape, 409 for a recommendation no longer current)."""
    customer = customer_for(actor=request.user, customer_id=customer_id)
    form = DecideForm(request.POST)

    def decide():
        data = form.cleaned_data
        return nba_services.nba_decide(
            actor=request.user,
            customer_id=customer.pk,
            rule_code=data["rule"],
            related_id=data["related"],
            decision=data["decision"],
            reason=data["reason"],
            snooze_days=data["snooze_days"] or 7,
        )

    invalid = _("Pilih rekomendasi dan keputusan yang valid.")
    if wants_json(request):

        def decided() -> dict:
            row = decide()
            return {"id": str(row.pk), "decision": row.decision, "created": row.created_ref}

        return run_json(request, decided, form=form, invalid=invalid)
    return run_action(
        request,
        lambda: _("Rekomendasi %s.") % Decision(decide().decision).label.lower(),
        back=_nba_back(customer.pk),
        form=form,
        invalid=invalid,
    )


@requires(NBA_DECIDE)
@require_POST
def nba_outcome(request, customer_id):
    customer = customer_for(actor=request.user, customer_id=customer_id)
    form = OutcomeForm(request.POST)

    def record():
        row = nba_services.nba_outcome_record(
            actor=request.user,
            customer_id=customer.pk,
            decision_id=form.cleaned_data["decision"],
            outcome=form.cleaned_data["outcome"],
        )
        return _("Hasil dicatat: %s.") % Outcome(row.outcome).label

    return run_action(
        request,
        record,
        back=_nba_back(customer.pk),
        form=form,
        invalid=_("Pilih hasil yang valid."),
    )


@requires(NBA_RULE_VIEW)
def nba_rules(request):
    changes = nba_selectors.open_changes(actor=request.user)
    rows = [{"change": ch, "moves": available_transitions(request.user, ch)} for ch in changes]
    return render(
        request,
        "insight/nba_rules.html",
        {
            "rules": nba_selectors.rule_list(actor=request.user),
            "changes": rows,
            "rates": nba_selectors.rates_by_action_type(actor=request.user),
            "can_propose": authz.has_perm(request.user, NBA_RULE_PROPOSE),
        },
    )


@requires(NBA_RULE_PROPOSE)
def nba_rule_propose(request, code):
    rule = nba_selectors.rule_get(actor=request.user, code=code)
    initial = {
        name: getattr(rule, name)
        for name in (
            "title",
            "action_type",
            "priority",
            "reason_template",
            "related_entity_type",
            "purpose",
            "channel",
            "value",
            "lever",
            "active",
        )
    }
    initial["condition"] = json.dumps(rule.condition, ensure_ascii=False)
    form = RuleForm(request.POST or None, initial=initial)

    def submit(data):
        nba_services.nba_rule_propose(
            actor=request.user,
            rule_code=rule.code,
            data=nba_services.RuleInput(**data),
        )
        return Done(
            reverse("insight:nba_rules"), _("Usulan dikirim; menunggu persetujuan pihak kedua.")
        )

    return submit_form(
        request, form, submit, template="insight/nba_rule_form.html", context={"rule": rule}
    )


@requires(NBA_RULE_APPROVE)
@require_POST
def nba_change_move(request, change_id):
    form = MoveForm(request.POST)

    def move():
        change = nba_services.nba_rule_change_move(
            actor=request.user, change_id=change_id, to=form.cleaned_data["to"]
        )
        return _("Usulan %s.") % ChangeStatus(change.status).label.lower()

    return run_action(
        request, move, back=reverse("insight:nba_rules"), form=form, invalid=_("Pilih keputusan.")
    )


@requires(NBA_PORTFOLIO_VIEW)
def nba_portfolio(request):
    return render(
        request,
        "insight/nba_portfolio.html",
        {"rows": nba_selectors.portfolio_worklist(request.user)},
    )


# --------------------------------------------------------------------------- service recovery


@requires(RECOVERY_VIEW)
def recovery_list(request):
    """The branch's recoveries (those of the cases the user may see), pending first, each
    with the moves the user may make on it now (four eyes and the threshold already asked)."""
    status = request.GET.get("status", "")
    status = status if status in RecoveryStatus.values else ""
    rows = recovery_selectors.recovery_list(actor=request.user, status=status)
    by_status = moves_by_status(request.user, ServiceRecovery)
    return render(
        request,
        "insight/recovery_list.html",
        {
            "rows": [
                {
                    "recovery": r,
                    "moves": available_transitions(
                        request.user, r, by_status=by_status, guarded=True
                    ),
                }
                for r in rows
            ],
            "statuses": RecoveryStatus.choices,
            "status": status,
            "threshold": recovery_services.threshold(),
        },
    )


@requires(RECOVERY_VIEW)
@require_POST
def recovery_move(request, recovery_id):
    form = MoveForm(request.POST)

    def move():
        recovery = recovery_services.recovery_move(
            actor=request.user, recovery_id=recovery_id, to=form.cleaned_data["to"]
        )
        return _("Pemulihan layanan: %s.") % RecoveryStatus(recovery.status).label.lower()

    return run_action(
        request,
        move,
        back=reverse("insight:recovery_list"),
        form=form,
        invalid=_("Pilih tindakan."),
    )


# --------------------------------------------------------------------------- hyperlocal merchants


@requires(MERCHANT_VIEW)
def merchant_list(request):
    """The partners, filtered by city, category and status; MARKETING adds and edits them."""
    filters = MerchantFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    active = {"1": True, "0": False}.get(values.get("active", ""))
    rows = merchant_selectors.merchant_list(
        actor=request.user,
        city=values.get("city", ""),
        category=values.get("category", ""),
        active=active,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "insight/merchant_list.html",
        {
            "filters": filters,
            "page": page,
            "can_manage": authz.has_perm(request.user, MERCHANT_MANAGE),
            "today": timezone.localdate(),
        },
    )


def _merchant_form_page(request, merchant=None):
    initial = {}
    if merchant is not None:
        initial = {name: getattr(merchant, name) for name in merchant_services.FIELDS}
    form = MerchantForm(request.POST or None, initial=initial)

    def submit(data):
        if merchant is None:
            saved = merchant_services.merchant_create(actor=request.user, **data)
            message = _("Merchant %s ditambahkan.") % saved.name
        else:
            saved = merchant_services.merchant_update(
                actor=request.user, merchant_id=merchant.pk, **data
            )
            message = _("Merchant %s diperbarui.") % saved.name
        return Done(reverse("insight:merchant_list"), message)

    return submit_form(
        request,
        form,
        submit,
        template="insight/merchant_form.html",
        context={"merchant": merchant},
    )


@requires(MERCHANT_MANAGE)
def merchant_create(request):
    return _merchant_form_page(request)


@requires(MERCHANT_MANAGE)
def merchant_edit(request, merchant_id):
    merchant = merchant_selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    return _merchant_form_page(request, merchant)


@requires(MERCHANT_MANAGE)
@require_POST
def merchant_deactivate(request, merchant_id):
    def deactivate():
        merchant = merchant_services.merchant_deactivate(
            actor=request.user, merchant_id=merchant_id
        )
        return _("Merchant %s dinonaktifkan.") % merchant.name

    return run_action(request, deactivate, back=reverse("insight:merchant_list"))


@requires(MERCHANT_RECOMMEND)
def merchant_for_customer(request, customer_id):
    """The Merchant Promo list of one customer with the category filter: the fragment for the
    360 tab (htmx), a page of its own without JS."""
    customer = customer_for(actor=request.user, customer_id=customer_id)
    category = request.GET.get("category", "")
    promo = merchant_selectors.suggestions_for(
        customer, actor=request.user, category=category if isinstance(category, str) else ""
    )
    context = {"promo": promo, "cu": customer}
    if request.headers.get("HX-Request"):
        return render(request, "insight/_merchant_promo.html", context)
    return render(request, "insight/merchant_for_customer.html", context)


@requires(MERCHANT_RECOMMEND)
@require_POST
def merchant_send(request, customer_id):
    form = SendMerchantForm(request.POST)
    back = reverse("customer360:workspace", args=[customer_id]) + "?tab=merchant_promo"

    def send():
        rec = merchant_services.recommendation_send(
            actor=request.user, customer_id=customer_id, merchant_id=form.cleaned_data["merchant"]
        )
        if rec.status == RecommendationStatus.SENT:
            return _("Rekomendasi %s diantrekan lewat WhatsApp.") % rec.merchant.name  # queued
        return _("Rekomendasi %s menunggu jam kontak nasabah.") % rec.merchant.name

    return run_action(
        request, send, back=back, form=form, invalid=_("Pilih merchant yang direkomendasikan.")
    )


@requires(PUBLIC)
def merchant_click(request, token):
    """The promo link in the customer's WhatsApp: records the click, shows the promo."""
    rec = merchant_services.recommendation_click(token)
    return render(request, "insight/merchant_click.html", {"merchant": rec.merchant})


@requires(RECOVERY_TRIGGER_MANAGE)
def recovery_triggers(request):
    """The trigger table of seed 001 §3 as data: each row's event and condition, and the
    offer, value and switch an admin may change (one form per row)."""
    from amanah.insight.recovery.models import RecoveryAction

    return render(
        request,
        "insight/recovery_triggers.html",
        {
            "triggers": recovery_selectors.trigger_list(actor=request.user),
            "actions": RecoveryAction.choices,
            "threshold": recovery_services.threshold(),
        },
    )


@requires(RECOVERY_TRIGGER_MANAGE)
@require_POST
def recovery_trigger_update(request, code):
    form = TriggerForm(request.POST)

    def update():
        data = form.cleaned_data
        trigger = recovery_services.recovery_trigger_update(
            actor=request.user,
            code=code,
            action=data["action"],
            estimated_value=data["estimated_value"],
            active=data["active"],
        )
        return _("Aturan pemicu %s disimpan.") % trigger.code

    return run_action(
        request,
        update,
        back=reverse("insight:recovery_triggers"),
        form=form,  # its first error: the value's reason ("Titik memisahkan ribuan …")
        about=code[:40],
    )
