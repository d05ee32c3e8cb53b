"""The live arbitration for one customer (seed 001 §4; Pega's arbitration funnel).

0. **Profiling.** A customer who objected to profiling (consent's published rule,
   ``objects_to_profiling``: PROFILING consent WITHDRAWN, UU PDP Pasal 10) gets no
   arbitration at all: ``not_profiled`` says why, in the panel and to a decision.
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

Bounded work, for the 360's live path (≤ 10 ms p95, bench/nba_bench.py): the facts, the
recent decisions, the rule table's stamp and consent's answer for every (purpose, channel)
the rules ask about come in one statement (``facts``, compiled once per grants); the rules
are kept per process and read again only when the stamp moves; the nearest live merchant
promo is one more query, only for an actor who may recommend merchants and a customer who
spends in a merchant category. ``tests/test_nba.py`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.consent.contract import (
    PROFILING_OBJECTED_LABEL,
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    reason_label,
)
from amanah.insight.merchants.selectors import may_recommend, promo_for_nba
from amanah.insight.nba import conditions, facts
from amanah.insight.nba.models import ContactPurpose, NbaRule, Priority

SHOWN = 3
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
GATE_QUESTION = (Purpose.OFFER, ContactChannel.PHONE)


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
    """What the panel shows: ``items`` (at most three), or why none at all: ``not_profiled``
    (the customer objected to profiling) or ``blocked`` (not to be contacted)."""

    items: list[Recommendation] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    not_profiled: str = ""
    # rule code -> why an applicable rule was left out (contactability labels)
    ineligible: dict[str, list[str]] = field(default_factory=dict)

    @property
    def top(self) -> Recommendation | None:
        return self.items[0] if self.items else None

    @property
    def refusal(self) -> str:
        """Why no recommendation may be decided on at all ("" when some may)."""
        return self.not_profiled or "; ".join(self.blocked)


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


def _facts(customer, row: facts.Row, merchant, now) -> tuple[dict, dict]:
    """The facts of ``conditions.FACTS`` from what the statement read, and the related
    entities (``{"CASE": id, "LEAD": id, "MERCHANT": id}``)."""
    overdue = row.open_case_due is not None and row.open_case_due < now
    found = {
        "rfm_segment": row.rfm_segment,
        "clv_proxy": row.clv_proxy,
        "marketing_consent": row.marketing or "NONE",
        "days_since_contact": (now - row.last_contact).days if row.last_contact else None,
        "open_case": row.open_case_id is not None,
        "overdue_case": overdue,
        "fraud_case_ever": row.fraud_case_ever,
        "new_lead_age_days": (now - row.lead_created_at).days if row.lead_created_at else None,
        "birthday_in_days": days_to_birthday(customer.birth_date, timezone.localdate(now)),
        "merchant_promo_in_city": merchant is not None,
    }
    related = {}
    if row.open_case_id is not None:  # the first by SLA due moment: an overdue one if any
        related["CASE"] = str(row.open_case_id)
    if row.lead_id is not None:
        related["LEAD"] = str(row.lead_id)
    if merchant:
        related["MERCHANT"] = merchant
    return found, related


# The active rules, kept per process with the stamp of the table they were read from; the one
# statement of ``facts`` reads the table's stamp on every evaluation, so a rule changed by
# another process (an approval, an outcome counted) is read again at once.
_rules: tuple[str, list[NbaRule]] | None = None


def _load_rules() -> tuple[str, list[NbaRule]]:
    """Every rule and the table's stamp, in one statement (one snapshot)."""
    global _rules
    rows = list(NbaRule.objects.annotate(_stamp=RawSQL(facts.RULES_STAMP_SQL, ())))  # noqa: S611
    _rules = (rows[0]._stamp if rows else "", [r for r in rows if r.active])
    return _rules


def forget_rules() -> None:
    """Read the rules again at the next evaluation (the rule change service calls it)."""
    global _rules
    _rules = None


def _questions(rules) -> tuple:
    """The gate's question first, then each (purpose, channel) a rule would ask about."""
    asked = {(r.purpose, r.channel) for r in rules if r.purpose != ContactPurpose.INTERNAL}
    asked.discard(GATE_QUESTION)
    return (GATE_QUESTION, *sorted(asked))


def evaluate(customer, actor, *, now=None) -> NbaResult:
    """The arbitration above for one customer, as ``actor`` sees it."""
    now = now or timezone.now()
    stamp, rules = _rules or _load_rules()
    with_merchants = may_recommend(actor)
    row = facts.read(customer, actor, _questions(rules), with_categories=with_merchants, now=now)
    if row.profiling_objected:
        return NbaResult(not_profiled=str(PROFILING_OBJECTED_LABEL))
    if row.rules_stamp != stamp:
        stamp, rules = _load_rules()
    refusals = dict(row.refusals)
    gate = refusals[GATE_QUESTION]
    blocked = [reason_label(r) for r in gate if r in GATE]
    if row.marketing == "WITHDRAWN":
        blocked.insert(0, _("Persetujuan pemasaran ditarik"))
    if blocked:
        return NbaResult(blocked=blocked)
    merchant = promo_for_nba(customer, actor=actor, categories=row.categories)
    found, related = _facts(customer, row, merchant, now)
    result = NbaResult()
    clv = CLV_WEIGHT.get(found["clv_proxy"] or "", 1.0)
    candidates = []
    for rule in rules:
        if not conditions.applies(rule.condition, found):
            continue
        related_id = related.get(rule.related_entity_type, "") if rule.related_entity_type else ""
        if rule.related_entity_type and not related_id:
            continue  # a rule about a case or lead the actor cannot see
        if (rule.code, related_id) in row.quiet:
            continue
        if rule.purpose != ContactPurpose.INTERNAL:
            key = (rule.purpose, rule.channel)
            if key not in refusals:  # a rule changed since the statement was chosen
                refusals[key] = contactability(customer, rule.purpose, rule.channel).reasons
            if refusals[key]:
                result.ineligible[rule.code] = [reason_label(r) for r in refusals[key]]
                continue
        candidates.append(
            Recommendation(
                rule_code=rule.code,
                rule_version=rule.version,
                action_type=rule.action_type,
                action_label=str(rule.get_action_type_display()),
                title=rule.title,
                reason_text=conditions.render_reason(rule.reason_template, found),
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
