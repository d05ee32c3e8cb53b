"""Every NBA write: a decision on a recommendation (Accept / Reject / Snooze), its outcome, and
a proposed change to a rule (four eyes through the workflow engine). Keyword-only, actor
first; permission and scope, validation, write, event and audit in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import ContactChannel, objects_to_profiling
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import CONFLICT, NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.roles import RoleKey
from amanah.customers.contract import customer_for
from amanah.iam import authz
from amanah.insight.nba import conditions
from amanah.insight.nba.evaluate import evaluate, forget_rules
from amanah.insight.nba.models import (
    ActionType,
    ChangeStatus,
    ContactPurpose,
    Decision,
    NbaDecision,
    NbaRule,
    NbaRuleChange,
    Outcome,
    PortfolioRecommendation,
    Priority,
    RelatedEntity,
)
from amanah.insight.policies import NBA_DECIDE, NBA_PORTFOLIO_REFRESH, NBA_RULE_PROPOSE
from amanah.sales.contract import call_task_create
from amanah.workflow.contract import transition_apply

NBA_DECIDED = "insight.nba_decided"  # (actor, decision)
NBA_OUTCOME = "insight.nba_outcome_recorded"  # (actor, decision)
NBA_RULE_PROPOSED = "insight.nba_rule_proposed"  # (actor, change)
NBA_PORTFOLIOS_REFRESHED = "insight.nba_portfolios_refreshed"  # (actor, customers, listed)
PORTFOLIO_BATCH = 200  # customers evaluated per transaction of the nightly run
REASON_MAX = 500
SNOOZE_DAYS_MAX = 90
TITLE_MAX = 120


def _label(actor) -> str:
    return getattr(actor, "full_name", "") or getattr(actor, "username", "") or "system"


def _reason(raw) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > REASON_MAX or problem_in_text(text):
        raise ServiceError(
            "reason_invalid",
            _("Alasan maks. %d karakter, tanpa karakter kontrol.") % REASON_MAX,
            field="reason",
        )
    return text


def _not_current(why: str) -> ServiceError:
    return ServiceError(CONFLICT, _("Rekomendasi ini tidak berlaku lagi: %s") % why)


# --------------------------------------------------------------------------- decisions


MESSAGE_TEMPLATES = {  # action type -> the hub's SERVICE template it sends on Accept
    ActionType.EDUCATE: "insight.nba_educate",
    ActionType.GREET: "insight.nba_greet",
}


def _note(rec) -> str:
    return (
        _("NBA diterima: %(title)s. %(reason)s") % {"title": rec.title, "reason": rec.reason_text}
    )[:2000]


def _related_lead(actor, rec):
    if rec.related_entity_type != RelatedEntity.LEAD:
        return None
    from amanah.sales.models import Lead

    return Lead.objects.visible_to(actor).filter(pk=rec.related_entity_id).first()


CALL_DUE_DAYS = {"HIGH": 1, "MEDIUM": 3, "LOW": 7}  # the rule's priority -> days to call


def _call(actor, customer, rec, decision_id) -> str:
    """CALL: a call task for the customer's RM, due in 1 / 3 / 7 days by the rule's priority
    (tied to the lead it follows up), through sales' ``call_task_create``; the RM completes it
    on "Tindak lanjut" and it is on the 360 timeline."""
    due_on = timezone.localdate() + timedelta(days=CALL_DUE_DAYS.get(rec.priority, 3))
    task = call_task_create(
        actor=actor,
        customer=customer,
        due_on=due_on,
        note=_note(rec),
        lead=_related_lead(actor, rec),
    )
    return f"sales.FollowUpTask:{task.pk}"


def _offer(actor, customer, rec, decision_id) -> str:
    """OFFER_PRODUCT: a lead handed to the customer's RM (sales' ``lead_create``): winning it
    is this recommendation's SUCCESS (``outcomes.from_lead``)."""
    from amanah.sales.services import lead_create

    lead = lead_create(
        actor=actor,
        customer=customer,
        source_type="MANUAL",
        product_interest=rec.title[:120],
        note=_note(rec),
    )
    return f"sales.Lead:{lead.pk}"


def _prioritize(actor, customer, rec, decision_id) -> str:
    """PRIORITIZE_CASE: the related case's priority raised through the cases service."""
    from amanah.cases.contract import case_prioritize
    from amanah.cases.models import Case

    case = Case.objects.visible_to(actor).filter(pk=rec.related_entity_id).first()
    if case is None:
        raise _not_current(_("kasusnya tidak lagi terlihat."))
    case_prioritize(actor=actor, case=case, reason=_note(rec)[:500])
    return f"cases.Case:{case.pk}"


def _merchant(actor, customer, rec, decision_id) -> str:
    """MERCHANT_PROMO: "Kirim rekomendasi" of the merchant the rule found, through the
    merchants' service (WhatsApp template, contactability, PENDING → SENT …)."""
    from amanah.insight.merchants.services import recommendation_send

    sent = recommendation_send(
        actor=actor, customer_id=customer.pk, merchant_id=rec.related_entity_id
    )
    return f"insight.MerchantRecommendation:{sent.pk}"


def _message(actor, customer, rec, decision_id) -> str:
    """EDUCATE / GREET (and EMAIL): the hub's SERVICE template on the rule's channel; the
    outbox asks contactability again. Refused, nothing written, when the hub would not send."""
    from amanah.messaging.contract import approved_template, message_queue_template

    key = MESSAGE_TEMPLATES.get(rec.action_type, "insight.nba_educate")
    message = message_queue_template(
        actor=actor,
        customer=customer,
        version=approved_template(key, rec.channel),
        context={},
        channel=rec.channel,
        purpose="SERVICE",
        source_id=f"nba:{decision_id}",
        step="nba",
    )
    return f"messaging.Message:{message.pk}"


CARRY_OUT = {
    ActionType.CALL: _call,
    ActionType.OFFER_PRODUCT: _offer,
    ActionType.PRIORITIZE_CASE: _prioritize,
    ActionType.MERCHANT_PROMO: _merchant,
    ActionType.EDUCATE: _message,
    ActionType.GREET: _message,
    ActionType.EMAIL: _message,
}


def _carry_out(actor, customer, rec, decision_id) -> str:
    """Accept: the matching work through the owning app's published service (``CARRY_OUT``,
    one per action type); returns "app.Model:id" of what it made. A refusal of that service
    (no template, not contactable …) refuses the Accept: nothing is written."""
    return CARRY_OUT[rec.action_type](actor, customer, rec, decision_id)


@transaction.atomic
def nba_decide(
    *,
    actor,
    customer_id,
    rule_code: str,
    related_id: str = "",
    decision: str,
    reason: str = "",
    snooze_days: int = 7,
) -> NbaDecision:
    """Decide on one of the recommendations currently shown for the customer. The customer is
    re-evaluated under a per-customer lock: a recommendation no longer shown (its condition no
    longer holds, the customer became uncontactable, someone decided it meanwhile) is refused
    with ``conflict`` (409) and the reason."""
    authz.require(actor, NBA_DECIDE)
    customer = customer_for(actor=actor, customer_id=customer_id)
    if decision not in Decision.values:
        raise ServiceError(
            "decision_invalid", _("Pilih terima, tolak atau tunda."), field="decision"
        )
    reason = _reason(reason)
    if decision == Decision.SNOOZED and (
        isinstance(snooze_days, bool)
        or not isinstance(snooze_days, int)
        or not 1 <= snooze_days <= SNOOZE_DAYS_MAX
    ):
        raise ServiceError(
            "snooze_invalid",
            _("Tunda 1–%d hari.") % SNOOZE_DAYS_MAX,
            field="snooze_days",
        )
    with connection.cursor() as cursor:  # one decision at a time per customer
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"insight.nba:{customer.pk}"])
    now = timezone.now()
    result = evaluate(customer, actor, now=now)
    if result.refusal:  # an objection to profiling, or not to be contacted
        raise _not_current(result.refusal)
    rec = next(
        (
            r
            for r in result.items
            if r.rule_code == rule_code and r.related_entity_id == (related_id or "")
        ),
        None,
    )
    if rec is None:
        raise _not_current(_("tidak lagi ditampilkan untuk nasabah ini."))
    row = NbaDecision(
        customer=customer,
        rule_id=rec.rule_code,
        rule_version=rec.rule_version,
        action_type=rec.action_type,
        title=rec.title,
        reason_text=rec.reason_text[:400],
        priority=rec.priority,
        related_entity_type=rec.related_entity_type,
        related_entity_id=rec.related_entity_id,
        score=rec.score,
        factors=rec.factors,
        decision=decision,
        decision_reason=reason,
        decided_by=user_or_none(actor),
        decided_by_label=_label(actor),
        decided_at=now,
    )
    if decision == Decision.SNOOZED:
        row.snoozed_until = now + timedelta(days=snooze_days)
    if decision == Decision.ACCEPTED:
        row.outcome = Outcome.PENDING
        row.created_ref = _carry_out(actor, customer, rec, row.pk)
    row.save()
    _portfolio_refresh_one(customer.pk)
    events.emit(NBA_DECIDED, actor=actor, decision=row)
    audit.record(
        actor=actor,
        action=AuditAction.DECIDE_NBA,
        obj=row,
        meta={
            "customer": str(customer.pk),
            "rule": rec.rule_code,
            "action_type": rec.action_type,
            "decision": decision,
            "score": rec.score,
            "reason_length": len(reason),
            "created": row.created_ref.split(":")[0] if row.created_ref else "",
        },
    )
    return row


def _settle(actor, decision: NbaDecision, outcome: str) -> None:
    """SUCCESS or FAILED once, fed into the rule's propensity (counts, set-based)."""
    decision.outcome, decision.outcome_at = outcome, timezone.now()
    decision.save(update_fields=["outcome", "outcome_at"])
    NbaRule.objects.filter(pk=decision.rule_id).update(
        outcomes=F("outcomes") + 1,
        successes=F("successes") + (1 if outcome == Outcome.SUCCESS else 0),
    )
    events.emit(NBA_OUTCOME, actor=actor, decision=decision)
    audit.record(
        actor=actor,
        action=AuditAction.RECORD_NBA_OUTCOME,
        obj=decision,
        meta={"rule": decision.rule_id, "action_type": decision.action_type, "outcome": outcome},
    )


@transaction.atomic
def nba_outcome_record(*, actor, customer_id, decision_id, outcome: str) -> NbaDecision:
    """The outcome of an accepted recommendation (PENDING → SUCCESS or FAILED, once)."""
    authz.require(actor, NBA_DECIDE)
    customer = customer_for(actor=actor, customer_id=customer_id)
    if outcome not in (Outcome.SUCCESS, Outcome.FAILED):
        raise ServiceError("outcome_invalid", _("Pilih berhasil atau gagal."), field="outcome")
    try:
        row = (
            NbaDecision.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(pk=decision_id, customer=customer)
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        row = None
    if row is None:  # the customer is in scope (above); the id is just a bad form value
        raise ServiceError(
            "decision_unknown",
            _("Keputusan ini tidak ditemukan untuk nasabah ini."),
            field="decision",
        )
    if row.decision != Decision.ACCEPTED or row.outcome != Outcome.PENDING:
        raise ServiceError(CONFLICT, _("Hasil rekomendasi ini sudah tercatat."))
    _settle(actor, row, outcome)
    return row


# --------------------------------------------------------------------------- rule changes


@dataclass(frozen=True)
class RuleInput:
    action_type: str
    title: str
    reason_template: str
    priority: str
    condition: list = field(default_factory=list)
    related_entity_type: str = ""
    purpose: str = ContactPurpose.OFFER
    channel: str = ContactChannel.PHONE
    value: float = 1.0
    lever: float = 1.0
    active: bool = True


def _choice(value, choices, code: str, field_name: str, message: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ServiceError(code, message, field=field_name)
    return value


def _factor(value, name: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= 10:
        raise ServiceError("factor_invalid", _("%s harus angka 0–10.") % name, field=name.lower())
    if low > 0 and value <= 0:
        raise ServiceError("factor_invalid", _("%s harus lebih dari 0.") % name, field="value")
    return float(value)


def clean_rule(data: RuleInput) -> dict:
    """The rule's fields as stored, or a refusal with the field (and fact) named."""
    title = data.title.strip() if isinstance(data.title, str) else ""
    if not title or len(title) > TITLE_MAX or problem_in_text(title):
        raise ServiceError(
            "title_invalid", _("Judul wajib, maks. %d karakter.") % TITLE_MAX, field="title"
        )
    return {
        "action_type": _choice(
            data.action_type,
            ActionType.values,
            "action_type_invalid",
            "action_type",
            _("Jenis aksi tidak dikenal."),
        ),
        "title": title,
        "reason_template": conditions.clean_template(data.reason_template),
        "priority": _choice(
            data.priority,
            Priority.values,
            "priority_invalid",
            "priority",
            _("Prioritas tidak dikenal."),
        ),
        "condition": conditions.clean_condition(data.condition),
        "related_entity_type": _choice(
            data.related_entity_type or "",
            RelatedEntity.values,
            "related_invalid",
            "related_entity_type",
            _("Jenis entitas terkait tidak dikenal."),
        ),
        "purpose": _choice(
            data.purpose,
            ContactPurpose.values,
            "purpose_invalid",
            "purpose",
            _("Tujuan kontak tidak dikenal."),
        ),
        "channel": _choice(
            data.channel,
            ContactChannel.values,
            "channel_invalid",
            "channel",
            _("Kanal tidak dikenal."),
        ),
        "value": _factor(data.value, "Value", 0.01),
        "lever": _factor(data.lever, "Lever", 0.0),
        "active": bool(data.active),
    }


@transaction.atomic
def nba_rule_propose(*, actor, rule_code: str, data: RuleInput) -> NbaRuleChange:
    """MARKETING proposes new content for a rule; it changes nothing until a second person
    approves it (``nba_rule_change_move``). One open proposal per rule."""
    authz.require(actor, NBA_RULE_PROPOSE)
    rule = (
        NbaRule.objects.visible_to(actor).filter(pk=rule_code).first()
        if isinstance(rule_code, str)
        else None
    )
    if rule is None:
        raise NotFound()
    proposed = clean_rule(data)
    try:
        with transaction.atomic():
            change = NbaRuleChange.objects.create(
                rule=rule,
                proposed=proposed,
                proposed_by=user_or_none(actor),
                proposed_by_label=_label(actor),
            )
    except IntegrityError:
        raise ServiceError(
            "change_open", _("Aturan ini sudah punya usulan yang menunggu keputusan.")
        ) from None
    events.emit(NBA_RULE_PROPOSED, actor=actor, change=change)
    audit.record(
        actor=actor,
        action=AuditAction.PROPOSE_NBA_RULE,
        obj=change,
        meta={
            "rule": rule.code,
            "fields": sorted(k for k, v in proposed.items() if getattr(rule, k) != v),
        },
    )
    return change


def change_on_apply(change: NbaRuleChange, *, transition, data, at) -> list[str]:
    """Workflow hook: who decided; an approval writes the proposal into the rule."""
    change.decided_by, change.decided_at = user_or_none(data.get("actor")), at
    if transition.to_status == ChangeStatus.APPROVED:
        rule = NbaRule.objects.select_for_update(of=("self",)).get(pk=change.rule_id)
        for name, value in change.proposed.items():
            setattr(rule, name, value)
        rule.version += 1
        rule.updated_at = at
        rule.save()
        # This process reads the rules again at once; others see the table's stamp move.
        transaction.on_commit(forget_rules)
        data["audit"]["rule_version"] = rule.version
    return ["decided_by", "decided_at"]


def made_by(change: NbaRuleChange, actor) -> bool:
    user = user_or_none(actor)
    return user is not None and user.pk == change.proposed_by_id


@transaction.atomic
def nba_rule_change_move(*, actor, change_id, to: str) -> NbaRuleChange:
    """Approve or reject a proposal through the workflow engine (permission, four eyes,
    history, audit, event)."""
    try:
        change = NbaRuleChange.objects.visible_to(actor).filter(pk=change_id).first()
    except (ValueError, TypeError, ValidationError):
        change = None
    if change is None:
        raise NotFound()
    return transition_apply(actor=actor, obj=change, to=to)


# --------------------------------------------------------------------------- RM worklists
# The nightly batch for portfolios (seed 001 §4): every customer of every active RM's
# portfolio evaluated as that RM, the count and the top recommendation kept for the menu's
# badge and the RM's list. The arbitration is the 360's own (``evaluate``), so the list never
# says something the 360 would not.


def _as_rm(user):
    """The portfolio's RM as an actor in the RM role: what the 360 shows them when they work
    in that role (a batch has no session to say which role is active)."""
    user.active_role = RoleKey.RM
    return user


def _portfolio_row(customer, rm, now) -> PortfolioRecommendation | None:
    result = evaluate(customer, rm, now=now)
    top = result.top
    if top is None:
        return None
    return PortfolioRecommendation(
        customer_id=customer.pk,
        rm_id=rm.pk,
        shown=len(result.items),
        top_title=top.title[:TITLE_MAX],
        top_reason=top.reason_text[:400],
        top_score=top.score,
        computed_at=now,
    )


def _portfolio_batch(after, now, size: int) -> tuple[list, int]:
    """One transaction: the next ``size`` active assignments (by customer), their rows
    replaced. Returns (the batch's assignments, rows written)."""
    from amanah.customers.models import PortfolioAssignment

    with transaction.atomic():
        batch = list(
            PortfolioAssignment.objects.filter(active=True, rm__is_active=True)
            .filter(**({"customer_id__gt": after} if after else {}))
            .filter(~objects_to_profiling("customer_id"))  # left out: dropped at the end
            .select_related("customer", "rm")
            .order_by("customer_id")[:size]
        )
        rms: dict = {}  # one actor per RM: its grants are read once per batch
        rows = []
        for a in batch:
            if a.rm_id not in rms:
                rms[a.rm_id] = _as_rm(a.rm)
            row = _portfolio_row(a.customer, rms[a.rm_id], now)
            if row is not None:
                rows.append(row)
        listed = {r.customer_id for r in rows}
        PortfolioRecommendation.objects.filter(
            customer_id__in=[a.customer_id for a in batch if a.customer_id not in listed]
        ).delete()
        _upsert(rows)
    return batch, len(rows)


def _upsert(rows: list[PortfolioRecommendation]) -> None:
    """Insert or overwrite by customer: a decision's refresh and the nightly batch may write
    the same customer at once; the later one wins, neither fails."""
    PortfolioRecommendation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["rm", "shown", "top_title", "top_reason", "top_score", "computed_at"],
    )


def nba_portfolio_refresh(*, actor, now=None, batch_size: int = PORTFOLIO_BATCH) -> dict:
    """Rebuild every RM's worklist, ``batch_size`` customers per transaction (a killed run
    leaves each customer either as before or refreshed; the next run redoes it all). Customers
    who objected to profiling are left out. Rows of customers that left a portfolio (or whose
    RM left, or who objected) are dropped at the end: anything this run did not write, unless
    a decision refreshed it meanwhile (a later ``computed_at``)."""
    authz.require(actor, NBA_PORTFOLIO_REFRESH)
    now = now or timezone.now()
    after, customers, listed = None, 0, 0
    while True:
        batch, written = _portfolio_batch(after, now, batch_size)
        customers += len(batch)
        listed += written
        if len(batch) < batch_size:
            break
        after = batch[-1].customer_id
    with transaction.atomic():
        dropped, _ignored = PortfolioRecommendation.objects.filter(computed_at__lt=now).delete()
        counts = {"customers": customers, "listed": listed, "dropped": dropped}
        audit.record(
            actor=actor,
            action=AuditAction.REFRESH_NBA_PORTFOLIOS,
            object_type=PortfolioRecommendation._meta.label,
            object_id=now.isoformat(),
            meta=counts,
        )
        events.emit(NBA_PORTFOLIOS_REFRESHED, actor=actor, customers=customers, listed=listed)
    return counts


def _portfolio_refresh_one(customer_id) -> None:
    """After a decision on the 360: the customer's row as its RM now sees it (the decided
    recommendation has gone quiet), in the decision's transaction. Customers outside every
    portfolio have no row to refresh."""
    from amanah.customers.models import PortfolioAssignment

    assignment = (
        PortfolioAssignment.objects.filter(customer_id=customer_id, active=True, rm__is_active=True)
        .select_related("customer", "rm")
        .first()
    )
    row = assignment and _portfolio_row(assignment.customer, _as_rm(assignment.rm), timezone.now())
    if row:
        _upsert([row])
    else:
        PortfolioRecommendation.objects.filter(customer_id=customer_id).delete()
