import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils.html import escape

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.sales import selectors, services
from amanah.sales.models import STAGE_PROBABILITY, Opportunity


def test_stage_probabilities_follow_the_seed():
    assert STAGE_PROBABILITY == {
        "NEW": 10,
        "QUALIFIED": 25,
        "PROPOSAL": 50,
        "NEGOTIATION": 75,
        "CLOSED_WON": 100,
        "CLOSED_LOST": 0,
    }


@pytest.fixture
def book(make_customer, rm, rm2, in_portfolio):
    """rm: 100 jt at NEW and 200 jt at PROPOSAL; rm2: 400 jt at NEGOTIATION and 50 jt won."""
    a, b = in_portfolio(make_customer("Siti"), rm), in_portfolio(make_customer("Budi"), rm2)

    def opp(actor, customer, value, *stages):
        o = services.opportunity_create(
            actor=actor, customer=customer, product_interest="KPR", estimated_value=value
        )
        for stage in stages:
            o = services.opportunity_move(actor=actor, opportunity=o, to_stage=stage)
        return o

    return {
        "new": opp(rm, a, "100000000"),
        "proposal": opp(rm, a, "200000000", "PROPOSAL"),
        "negotiation": opp(rm2, b, "400000000", "QUALIFIED", "NEGOTIATION"),
        "won": opp(rm2, b, "50000000", "CLOSED_WON"),
    }


def test_expected_value_is_amount_times_stage_probability(book):
    assert book["new"].expected_value == Decimal("10000000.00")
    assert book["proposal"].expected_value == Decimal("100000000.00")
    assert book["negotiation"].expected_value == Decimal("300000000.00")
    assert (book["won"].probability, book["won"].closed_at is not None) == (100, True)


def test_pipeline_totals_per_stage_and_expected_value_per_rm(book, supervisor, rm, rm2):
    p = selectors.pipeline(actor=supervisor)
    stages = {s.stage: (s.count, s.value, s.expected) for s in p.stages}
    assert stages["NEW"] == (1, Decimal("100000000"), Decimal("10000000"))
    assert stages["PROPOSAL"] == (1, Decimal("200000000"), Decimal("100000000"))
    assert stages["NEGOTIATION"] == (1, Decimal("400000000"), Decimal("300000000"))
    assert stages["CLOSED_WON"] == (1, Decimal("50000000"), Decimal("50000000"))
    assert stages["QUALIFIED"][0] == stages["CLOSED_LOST"][0] == 0
    per_rm = {r.rm_name: (r.open_count, r.expected_value, r.won_value) for r in p.per_rm}
    assert per_rm == {
        "Lina Sembiring": (1, Decimal("300000000"), Decimal("50000000")),
        "Dedi Pane": (2, Decimal("110000000"), Decimal("0")),
    }
    assert p.expected_total == Decimal("410000000")
    # An RM sees only their own book.
    mine = selectors.pipeline(actor=rm)
    assert [r.rm_name for r in mine.per_rm] == ["Dedi Pane"]
    assert {o.pk for o in mine.opportunities} == {book["new"].pk, book["proposal"].pk}
    page = sign_in(Client(), supervisor).get("/sales/pipeline/").content.decode()
    assert "410.000.000" in page and "300.000.000" in page


def test_moves_forward_lost_needs_reason_closed_stays_closed(book, rm, rm2):
    o = book["proposal"]
    with pytest.raises(ServiceError) as back:
        services.opportunity_move(actor=rm, opportunity=o, to_stage="QUALIFIED")
    assert back.value.code == "transition_not_allowed"
    with pytest.raises(ServiceError) as lost:
        services.opportunity_move(actor=rm, opportunity=o, to_stage="CLOSED_LOST", reason="")
    assert lost.value.code == "field_required"
    o = services.opportunity_move(
        actor=rm, opportunity=o, to_stage="CLOSED_LOST", reason="Bunga bank lain lebih rendah"
    )
    assert (o.probability, o.expected_value) == (0, Decimal("0.00"))
    with pytest.raises(ServiceError) as closed:
        services.opportunity_move(actor=rm, opportunity=o, to_stage="CLOSED_WON")
    assert closed.value.code == "transition_not_allowed"
    with pytest.raises(NotFound):  # another RM's opportunity
        services.opportunity_move(actor=rm, opportunity=book["negotiation"], to_stage="CLOSED_WON")
    actions = AuditLog.objects.filter(object_id=str(o.pk)).values_list("action", flat=True)
    assert list(actions.order_by("id")) == [
        "CREATE_OPPORTUNITY",
        "UPDATE_OPPORTUNITY",
        "UPDATE_OPPORTUNITY",
    ]


def test_bad_input_is_refused(make_customer, rm, in_portfolio):
    customer = in_portfolio(make_customer(), rm)
    for kwargs, code in [
        ({"estimated_value": "0"}, "value_invalid"),
        ({"estimated_value": "-5"}, "value_invalid"),
        ({"estimated_value": "sejuta"}, "value_invalid"),
        ({"estimated_value": "1000", "product_interest": " "}, "product_required"),
        (
            {"estimated_value": "1000", "expected_close_date": dt.date(2000, 1, 1)},
            "date_past",
        ),
    ]:
        with pytest.raises(ServiceError) as refused:
            services.opportunity_create(
                actor=rm, customer=customer, **{"product_interest": "KUR", **kwargs}
            )
        assert refused.value.code == code
    assert not Opportunity.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.create(
            customer=customer,
            product_interest="x",
            estimated_value=1,
            assigned_to=rm,
            stage="CLOSED_LOST",
        )


def test_opportunity_from_a_lead_goes_to_the_leads_rm(make_customer, agent, rm, supervisor):
    lead = services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    client = sign_in(Client(), supervisor)
    response = client.post(
        f"/sales/opportunities/new/{lead.customer_id}/",
        {
            "product_interest": "Kredit Usaha Rakyat",
            "estimated_value": "75000000",
            "lead": str(lead.pk),
        },
    )
    assert response.status_code == 303
    o = Opportunity.objects.get()
    assert (o.lead, o.assigned_to, o.stage, o.probability) == (lead, rm, "NEW", 10)


def test_refused_opportunity_posts_say_why(book, rm):
    customer, o = book["new"].customer, book["proposal"]
    client = sign_in(Client(), rm)
    past = {"product_interest": "KUR", "estimated_value": "1000"}
    with pytest.raises(ServiceError) as expected:
        services.opportunity_create(
            actor=rm, customer=customer, expected_close_date=dt.date(2000, 1, 1), **past
        )
    created = client.post(
        f"/sales/opportunities/new/{customer.pk}/", {**past, "expected_close_date": "2000-01-01"}
    )
    assert created.status_code == 400 and escape(expected.value.message) in created.content.decode()
    assert Opportunity.objects.count() == 4

    with pytest.raises(ServiceError) as expected:  # lost needs a reason
        services.opportunity_move(actor=rm, opportunity=o, to_stage="CLOSED_LOST")
    url = f"/sales/opportunities/{o.pk}/move/"
    lost = client.post(url, {"to_stage": "CLOSED_LOST"}, follow=True)
    assert lost.redirect_chain == [("/sales/pipeline/", 303)]
    assert escape(expected.value.message) in lost.content.decode()
    unknown = client.post(url, {"to_stage": "SIDEWAYS"}, follow=True)
    assert unknown.redirect_chain == [("/sales/pipeline/", 303)]
    assert "Pilih tahap tujuan yang valid." in unknown.content.decode()
    assert Opportunity.objects.get(pk=o.pk).stage == "PROPOSAL"


def test_the_value_is_typed_with_thousand_separators_and_shown_with_them(book, rm):
    customer = book["new"].customer
    client = sign_in(Client(), rm)
    url = f"/sales/opportunities/new/{customer.pk}/"
    refused = client.post(
        url,
        {
            "product_interest": "KUR",
            "estimated_value": "Rp 1500000",
            "expected_close_date": "2000-01-01",
        },
    )
    assert refused.status_code == 400 and 'value="1.500.000"' in refused.content.decode()
    garbage = client.post(url, {"product_interest": "KUR", "estimated_value": "sejuta"})
    assert garbage.status_code == 400 and garbage.context["form"].errors["estimated_value"]
    assert Opportunity.objects.count() == 4
    created = client.post(url, {"product_interest": "KUR", "estimated_value": "Rp 500.000.000"})
    assert created.status_code == 303
    assert Opportunity.objects.get(product_interest="KUR").estimated_value == 500_000_000
