from contextlib import ExitStack

import pytest

from amanah.core import registry
from amanah.core.registry import DuplicateRegistration
from amanah.sales import scoring, services
from amanah.sales.models import Lead
from amanah.sales.scoring import Signal

SEED_FACTORS = [
    "RFM_SEGMENT",
    "MARKETING_CONSENT",
    "RECENT_ENGAGEMENT",
    "BROCHURE_DOWNLOAD",
    "BRANCH_VISIT",
    "EMAIL_OPENED",
]


def test_breakdown_lists_every_seed_factor_and_says_which_data_is_missing(make_customer, agent, rm):
    lead = services.lead_create(
        actor=agent, customer=make_customer(marketing="GRANTED"), source_type="MANUAL"
    )
    rows = {r["factor"]: r for r in lead.score_breakdown}
    assert list(rows) == SEED_FACTORS
    assert rows["MARKETING_CONSENT"] == {
        "factor": "MARKETING_CONSENT",
        "label": "Persetujuan pemasaran",
        "weight": "MEDIUM",
        "score": 15,
        "max": 15,
        "reason": "Persetujuan pemasaran diberikan",
        "available": True,
    }
    # RFM comes from insight's provider: available, zero until a run scored the customer.
    rfm = rows["RFM_SEGMENT"]
    assert (rfm["score"], rfm["available"], rfm["reason"]) == (
        0,
        True,
        "Belum ada perhitungan RFM",
    )
    # Engagement, e-mail opens and branch visits come from insight's providers (zero here);
    # no module holds brochure downloads yet.
    for code in ("RECENT_ENGAGEMENT", "BRANCH_VISIT", "EMAIL_OPENED"):
        assert (rows[code]["score"], rows[code]["available"]) == (0, True)
        assert rows[code]["reason"].startswith("Tidak ada")
    brochure = rows["BROCHURE_DOWNLOAD"]
    assert (brochure["score"], brochure["available"]) == (0, False)
    assert brochure["reason"] == "Data belum tersedia"
    assert (lead.score, lead.priority) == (15, "COLD") and lead.scored_at
    page_rows = [r["max"] for r in lead.score_breakdown]
    assert page_rows == [30, 15, 10, 10, 5, 5]


def test_withdrawn_consent_scores_zero_with_the_reason(make_customer, agent, rm):
    lead = services.lead_create(
        actor=agent, customer=make_customer(marketing="WITHDRAWN"), source_type="MANUAL"
    )
    consent = next(r for r in lead.score_breakdown if r["factor"] == "MARKETING_CONSENT")
    assert (consent["score"], consent["reason"]) == (0, "Persetujuan pemasaran ditarik")


@pytest.mark.parametrize(
    ("score", "priority"),
    [
        (100, "HOT"),
        (60, "HOT"),
        (59, "WARM"),
        (40, "WARM"),
        (39, "COOL"),
        (20, "COOL"),
        (19, "COLD"),
        (0, "COLD"),
    ],
)
def test_priority_thresholds_follow_the_seed(score, priority):
    assert scoring.priority_for(score) == priority


def _signals(**providers):
    """The providers exist only inside the ``with`` block (what a contract would register)."""
    stack = ExitStack()
    for code, provider in providers.items():
        stack.enter_context(registry.scoring_signals.temporarily(code, provider))
    return stack


def test_a_module_that_owns_the_data_plugs_a_factor_in(make_customer, agent, rm):
    # What insight does for RFM, engagement, e-mail opens and branch visits (registered for
    # real); brochure downloads have no owner yet. Points are capped per factor.
    with _signals(BROCHURE_DOWNLOAD=lambda c: Signal(99, "Unduh brosur KPR")):
        lead = services.lead_create(
            actor=agent, customer=make_customer(marketing="GRANTED"), source_type="MANUAL"
        )
        assert (lead.score, lead.priority) == (25, "COOL")
        brochure = next(r for r in lead.score_breakdown if r["factor"] == "BROCHURE_DOWNLOAD")
        assert (brochure["score"], brochure["reason"]) == (10, "Unduh brosur KPR")
    assert scoring.rescore_open_leads(lead.customer) == 1
    assert Lead.objects.get(pk=lead.pk).priority == "COLD"
    assert "BROCHURE_DOWNLOAD" not in registry.scoring_signals


def test_a_factor_has_one_provider_and_must_exist():
    with pytest.raises(ValueError):
        scoring.register_signal("ZODIAC", lambda c: Signal(1, "?"))
    with pytest.raises(DuplicateRegistration):
        scoring.register_signal("MARKETING_CONSENT", lambda c: Signal(15, "lagi"))


def test_lead_page_shows_the_breakdown(make_customer, agent, rm):
    from django.test import Client

    from amanah.conftest import sign_in

    lead = services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    page = sign_in(Client(), rm).get(f"/sales/leads/{lead.pk}/").content.decode()
    assert 'data-testid="score-breakdown"' in page
    assert page.count("Data belum tersedia") == 1 and "Belum ada persetujuan pemasaran" in page
    assert "Belum ada perhitungan RFM" in page


# --------------------------------------------------------------------------- profiling consent
# Issue 50 item 8 (UU PDP Pasal 10): a lead of a customer who objected to profiling has no
# score — not at creation, and not from the moment an objection commits.

NOT_PROFILED = "Tidak diprofilkan: nasabah menolak profiling (UU PDP Pasal 10)"


def test_a_lead_of_an_objector_is_not_scored_and_says_why(make_customer, agent, rm, system):
    from django.test import Client
    from django.urls import reverse

    from amanah.conftest import sign_in
    from amanah.consent.testing import object_to_profiling

    customer = object_to_profiling(system, make_customer(marketing="GRANTED"))
    lead = services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    assert (lead.score, lead.priority, lead.score_breakdown) == (0, "NONE", [])
    assert lead.not_profiled == NOT_PROFILED
    page = sign_in(Client(), rm).get(reverse("sales:lead_detail", args=[lead.pk]))
    body = page.content.decode()
    assert 'data-testid="lead-not-profiled"' in body and NOT_PROFILED in body
    assert 'data-testid="score-breakdown"' not in body


def test_an_objection_unscores_the_open_leads_at_once_and_lifting_it_scores_again(
    make_customer, agent, rm, system
):
    from amanah.consent.testing import object_to_profiling

    customer = make_customer(marketing="GRANTED")
    lead = services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    assert (lead.score, lead.priority) == (15, "COLD")
    object_to_profiling(system, customer)  # in the objection's own transaction
    lead.refresh_from_db()
    assert (lead.score, lead.priority, lead.score_breakdown) == (0, "NONE", [])
    # A rescoring for any other reason keeps it unscored.
    assert scoring.rescore_leads_of(None) >= 1
    lead.refresh_from_db()
    assert lead.priority == "NONE"
    object_to_profiling(system, customer, status="GRANTED")
    lead.refresh_from_db()
    assert (lead.score, lead.priority) == (15, "COLD") and lead.score_breakdown
