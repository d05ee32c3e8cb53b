"""Rule-based lead score with a visible breakdown (seed 001 §8).

A customer who objected to profiling (consent's ``profiling``, UU PDP Pasal 10) is not scored:
their leads carry priority NONE ("Tidak diprofilkan") and no breakdown, from the moment the
objection commits (``consent.consent_changed`` rescores their open leads).

Every factor the seed lists is always in the breakdown, so an RM sees why a lead is COLD as
well as why it is HOT. A factor is fed by a *signal provider*; the ones whose data the system
does not hold yet (RFM, campaign engagement, brochure downloads, branch visits, email opens)
have no provider, score zero and say "data belum tersedia". The module that later owns the
data (insight for RFM, marketing for engagement) registers a provider in its contract
(``register_signal``, backed by the write-once ``registry.scoring_signals``) and nothing else
here changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.consent.contract import profiling
from amanah.core import registry
from amanah.core.prepared import prepared
from amanah.sales.models import Lead, LeadPriority


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    max_points: int
    weight: str  # HIGH / MEDIUM / LOW, as the seed's table


@dataclass(frozen=True)
class Signal:
    points: int
    reason: str


FACTORS: list[Factor] = [
    Factor("RFM_SEGMENT", gettext_lazy("Segmen RFM CHAMPION (+30) / LOYAL (+20)"), 30, "HIGH"),
    Factor("MARKETING_CONSENT", gettext_lazy("Persetujuan pemasaran"), 15, "MEDIUM"),
    Factor("RECENT_ENGAGEMENT", gettext_lazy("Keterlibatan terbaru (< 7 hari)"), 10, "MEDIUM"),
    Factor("BROCHURE_DOWNLOAD", gettext_lazy("Mengunduh brosur"), 10, "MEDIUM"),
    Factor("BRANCH_VISIT", gettext_lazy("Berkunjung ke cabang"), 5, "LOW"),
    Factor("EMAIL_OPENED", gettext_lazy("Membuka email"), 5, "LOW"),
]
_FACTOR_BY_CODE = {f.code: f for f in FACTORS}

# Seed 001 §8 priority table: 60+ HOT, 40–59 WARM, 20–39 COOL, below 20 COLD.
PRIORITY_THRESHOLDS = [(60, LeadPriority.HOT), (40, LeadPriority.WARM), (20, LeadPriority.COOL)]

Provider = Callable[[object], Signal]


def register_signal(factor_code: str, provider: Provider) -> None:
    """provider(customer) -> Signal(points, reason); points are capped at the factor's max.
    One provider per factor: a second one is refused at start-up."""
    if factor_code not in _FACTOR_BY_CODE:
        raise ValueError(f"unknown lead score factor {factor_code!r}")
    registry.scoring_signals.register(factor_code, provider)


def priority_for(score: int) -> str:
    for threshold, priority in PRIORITY_THRESHOLDS:
        if score >= threshold:
            return priority
    return LeadPriority.COLD


def breakdown_for(customer) -> tuple[int, list[dict]]:
    """(total, [{factor, label, score, max, reason, available}]) for one customer."""
    rows = []
    for factor in FACTORS:
        if factor.code not in registry.scoring_signals:
            points, reason, available = 0, _("Data belum tersedia"), False
        else:
            signal = registry.scoring_signals.get(factor.code)(customer)
            points = max(0, min(int(signal.points), factor.max_points))
            reason, available = signal.reason, True
        rows.append(
            {
                "factor": factor.code,
                "label": str(factor.label),
                "weight": factor.weight,
                "score": points,
                "max": factor.max_points,
                "reason": str(reason),
                "available": available,
            }
        )
    return sum(r["score"] for r in rows), rows


@dataclass(frozen=True)
class Score:
    total: int
    priority: str
    rows: list[dict]


def score_for(customer) -> Score:
    """The customer's lead score: the breakdown's total and its priority — or none at all for
    a customer who objected to profiling (consent's ``profiling``, UU PDP Pasal 10): score 0,
    priority NONE ("Tidak diprofilkan"), no breakdown; no signal is asked."""
    if not profiling(customer).allowed:
        return Score(0, LeadPriority.NONE, [])
    total, rows = breakdown_for(customer)
    return Score(total, priority_for(total), rows)


def apply_score(lead: Lead, score: Score) -> list[str]:
    """Set the score fields on ``lead`` (not saved); returns the fields that were set."""
    lead.score, lead.priority, lead.score_breakdown = score.total, score.priority, score.rows
    lead.scored_at = timezone.now()
    return ["score", "priority", "score_breakdown", "scored_at"]


def rescore_open_leads(customer) -> int:
    """Recompute every open lead of the customer (after an activity, a consent change — an
    objection to profiling unscores them in its own transaction —, or an event behind one of
    the signals: ``rescore_on_event``). A customer without an open lead costs one query."""
    leads = _open_leads(None, customer=customer)
    if not leads:
        return 0
    score = score_for(customer)
    for lead in leads:
        apply_score(lead, score)
    Lead.objects.bulk_update(leads, ["score", "priority", "score_breakdown", "scored_at"])
    return len(leads)


@prepared(Lead, params=("customer",))
def _open_leads(_actor, *, customer):
    """Kept compiled: every case taken at the counter and every consent change asks."""
    return Lead.objects.open().filter(customer=customer)


def marketing_consent_signal(customer) -> Signal:
    """Sales' own provider for MARKETING_CONSENT (registered in ``sales/contract.py``)."""
    from amanah.consent.services import consent_states

    status = consent_states(customer).get("MARKETING", "")
    if status == "GRANTED":
        return Signal(15, _("Persetujuan pemasaran diberikan"))
    if status == "WITHDRAWN":
        return Signal(0, _("Persetujuan pemasaran ditarik"))
    return Signal(0, _("Belum ada persetujuan pemasaran"))


def rescore_leads_of(customer_ids) -> int:
    """Recompute the open leads of those of ``customer_ids`` that have one (``None``: every
    customer with an open lead, for a change that moves everyone's signal, e.g. an RFM run).
    Returns the leads rescored."""
    from amanah.customers.models import Customer

    open_leads = Lead.objects.open()
    if customer_ids is not None:
        open_leads = open_leads.filter(customer_id__in=customer_ids)
    customers = Customer.objects.filter(pk__in=open_leads.values("customer_id")).order_by("pk")
    return sum(rescore_open_leads(customer) for customer in customers.iterator(chunk_size=500))


def rescore_on_event(*, customer=None, customer_id=None, **_ignored) -> None:
    """Event handler: the open leads of the customer the event is about, rescored."""
    if customer is None and customer_id is not None:
        from amanah.customers.models import Customer

        customer = Customer.objects.filter(pk=customer_id).first()
    if customer is not None:
        rescore_open_leads(customer)
