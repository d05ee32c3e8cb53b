"""The live arbitration for one customer (seed 001 §4; Pega's arbitration funnel).

1. **Contactability and eligibility.** The customer-wide gate asks consent's one published
   rule ``consent.contactability(customer, OFFER, PHONE)``: a closed/merged customer or one on
   the do-not-contact list gets no recommendation at all, and neither does one whose marketing
   consent is WITHDRAWN (``consent_states``, consent's published reading). Then each candidate
   asks the same rule for its own purpose and channel (an OFFER needs marketing consent, an
   open sensitive case blocks offers …); INTERNAL actions ask nothing more.
2. **Applicability.** The rule's condition (data, ``conditions``) over the customer's facts.
   A candidate decided on recently (accepted or rejected in the last 30 days, snoozed until a
   later moment) for the same related entity is left out.
3. **Priority** = propensity × context × value × lever, each factor kept for display:
   propensity is the rule's learnt success rate, context the rule's priority (HIGH 3, MEDIUM 2,
   LOW 1), value the rule's business value times the customer's CLV weight, lever the
   business's push for the rule. At most three are shown, highest first.

Bounded work: every fact comes from a fixed set of queries (``customer_facts``, about seven),
the rules in one, the recent decisions in one, and contactability once per distinct
(purpose, channel) of the applicable rules (asked only for those: the verdict is the same as
asking for every rule first, and the 360 stays fast). ``tests/test_nba_evaluate.py`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.cases.models import Case
from amanah.cases.selectors import open_cases_of
from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    current_states,
    reason_label,
)
from amanah.insight.merchants.selectors import promo_for_nba
from amanah.insight.nba import conditions
from amanah.insight.nba.models import ContactPurpose, Decision, NbaDecision, NbaRule, Priority
from amanah.insight.selectors import rfm_scores
from amanah.sales.models import Lead, LeadStatus, RmActivity

SHOWN = 3
QUIET_DAYS = 30  # an accepted or rejected recommendation stays away this long
CONTEXT_WEIGHT = {"HIGH": 3.0, "MEDIUM": 2.0, "LOW": 1.0}
CLV_WEIGHT = {
    "VERY_HIGH": 1.5,
    "HIGH": 1.3,
    "GROWING": 1.2,
    "MEDIUM": 1.0,
    "DECLINING": 1.0,
    "LOW": 0.8,
    "MINIMAL": 0.7,
}
GATE = frozenset({Reason.CUSTOMER_INACTIVE, Reason.DO_NOT_CONTACT})
FRAUD_CATEGORY = "FRAUD_SCAM"


@dataclass(frozen=True)
class Recommendation:
    rule_code: str
    rule_version: int
    action_type: str
    action_label: str
    title: str
    reason_text: str
    priority: str
    related_entity_type: str
    related_entity_id: str
    propensity: float
    context: float
    value: float
    lever: float
    channel: str = ""  # where the action reaches the customer (a message sent on Accept)

    @property
    def priority_label(self) -> str:
        return str(Priority(self.priority).label)

    @property
    def score(self) -> float:
        return round(self.propensity * self.context * self.value * self.lever, 4)

    @property
    def factors(self) -> dict:
        return {
            "propensity": round(self.propensity, 4),
            "context": self.context,
            "value": round(self.value, 4),
            "lever": self.lever,
        }


@dataclass
class NbaResult:
    """What the panel shows: ``items`` (at most three), or ``blocked`` (why none at all)."""

    items: list[Recommendation] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    # rule code -> why an applicable rule was left out (contactability labels)
    ineligible: dict[str, list[str]] = field(default_factory=dict)

    @property
    def top(self) -> Recommendation | None:
        return self.items[0] if self.items else None


def days_to_birthday(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            next_day = born.replace(year=year)
        except ValueError:  # 29 February in a common year: the 1st of March
            next_day = date(year, 3, 1)
        if next_day >= today:
            return (next_day - today).days
    return None


def customer_facts(customer, actor, *, now=None) -> tuple[dict, dict]:
    """Every fact of ``conditions.FACTS`` for ``customer`` as ``actor`` may see them (each read
    through ``visible_to(actor)``), and the related entities (``{"CASE": id, "LEAD": id}``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The 360 reads the scores, open cases and consent states for its own cards too: these
    # reads are shared with it (one query each per 360 view, ``core.reads``).
    scores = rfm_scores(customer, actor)
    rfm = scores[0] if scores else None
    cases = Case.objects.visible_to(actor).filter(customer=customer)
    open_cases = open_cases_of(customer, actor)  # soonest deadline first
    overdue = [c for c in open_cases if c.sla_due_at < now]
    fraud_ever = cases.filter(category_id=FRAUD_CATEGORY).exists()
    last_contact = (
        RmActivity.objects.visible_to(actor)
        .filter(customer=customer)
        .aggregate(last=Max("created_at"))["last"]
    )
    lead = (
        Lead.objects.visible_to(actor)
        .filter(customer=customer, status=LeadStatus.NEW)
        .order_by("created_at")
        .values("id", "created_at")
        .first()
    )
    marketing = current_states(customer, actor).get("MARKETING")
    consent = (marketing.status if marketing else "") or "NONE"
    merchant = promo_for_nba(customer, actor=actor)
    facts = {
        "rfm_segment": rfm.segment if rfm else None,
        "clv_proxy": rfm.clv_proxy if rfm else None,
        "marketing_consent": consent,
        "days_since_contact": (now - last_contact).days if last_contact else None,
        "open_case": bool(open_cases),
        "overdue_case": bool(overdue),
        "fraud_case_ever": fraud_ever,
        "new_lead_age_days": (now - lead["created_at"]).days if lead else None,
        "birthday_in_days": days_to_birthday(customer.birth_date, today),
        "merchant_promo_in_city": merchant is not None,
    }
    related = {}
    if overdue or open_cases:
        related["CASE"] = str((overdue or open_cases)[0].id)
    if lead:
        related["LEAD"] = str(lead["id"])
    if merchant:
        related["MERCHANT"] = merchant
    return facts, related


def _quiet(customer, now) -> set[tuple[str, str]]:
    """(rule, related id) decided on recently enough to stay away."""
    since = now - timedelta(days=QUIET_DAYS)
    rows = NbaDecision.objects.filter(customer=customer).filter(
        Q(decision=Decision.SNOOZED, snoozed_until__gt=now)
        | Q(decision__in=[Decision.ACCEPTED, Decision.REJECTED], decided_at__gte=since)
    )
    return set(rows.values_list("rule_id", "related_entity_id"))


def evaluate(customer, actor, *, now=None) -> NbaResult:
    """The arbitration above for one customer, as ``actor`` sees it."""
    now = now or timezone.now()
    gate = contactability(customer, Purpose.OFFER, ContactChannel.PHONE)
    facts, related = customer_facts(customer, actor, now=now)
    # Read before the gate's verdict, so a blocked customer costs the same queries as any
    # other (the 360's query count does not depend on the customer's consent).
    rules = list(NbaRule.objects.filter(active=True))
    quiet = _quiet(customer, now)
    blocked = [reason_label(r) for r in gate.reasons if r in GATE]
    if facts["marketing_consent"] == "WITHDRAWN":
        blocked.insert(0, _("Persetujuan pemasaran ditarik"))
    if blocked:
        return NbaResult(blocked=blocked)
    result = NbaResult()
    answers: dict[tuple[str, str], object] = {(Purpose.OFFER, ContactChannel.PHONE): gate}
    clv = CLV_WEIGHT.get(facts["clv_proxy"] or "", 1.0)
    candidates = []
    for rule in rules:
        if not conditions.applies(rule.condition, facts):
            continue
        related_id = related.get(rule.related_entity_type, "") if rule.related_entity_type else ""
        if rule.related_entity_type and not related_id:
            continue  # a rule about a case or lead the actor cannot see
        if (rule.code, related_id) in quiet:
            continue
        if rule.purpose != ContactPurpose.INTERNAL:
            key = (rule.purpose, rule.channel)
            if key not in answers:
                answers[key] = contactability(customer, rule.purpose, rule.channel)
            verdict = answers[key]
            if verdict.refused:
                result.ineligible[rule.code] = verdict.labels
                continue
        candidates.append(
            Recommendation(
                rule_code=rule.code,
                rule_version=rule.version,
                action_type=rule.action_type,
                action_label=str(rule.get_action_type_display()),
                title=rule.title,
                reason_text=conditions.render_reason(rule.reason_template, facts),
                priority=rule.priority,
                related_entity_type=rule.related_entity_type,
                related_entity_id=related_id,
                propensity=rule.propensity,
                context=CONTEXT_WEIGHT[rule.priority],
                value=rule.value * clv,
                lever=rule.lever,
                channel=rule.channel,
            )
        )
    candidates.sort(key=lambda r: (-r.score, r.rule_code))
    result.items = candidates[:SHOWN]
    return result
