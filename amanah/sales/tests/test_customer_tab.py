from django.test import Client

from amanah.conftest import sign_in
from amanah.sales import services


def test_360_sales_tab_shows_leads_activities_opportunities_and_actions(
    make_customer, rm, agent, in_portfolio
):
    customer = in_portfolio(make_customer(marketing="GRANTED"), rm)
    lead = services.lead_create(
        actor=agent, customer=customer, source_type="MANUAL", product_interest="Deposito"
    )
    services.activity_log(actor=rm, customer=customer, activity_type="MEETING", note="Ngopi di KC")
    services.opportunity_create(
        actor=rm,
        customer=customer,
        product_interest="Deposito",
        estimated_value="25000000",
        lead=lead,
    )
    client = sign_in(Client(), rm)
    page = client.get(f"/customers/{customer.pk}/?tab=sales").content.decode()
    assert 'data-testid="sales-tab"' in page
    assert f"/sales/leads/{lead.pk}/" in page and "Ngopi di KC" in page
    assert "25.000.000" in page and "2.500.000" in page  # value and expected value (10 %)
    assert 'data-testid="activity-composer"' in page
    assert "Catat aktivitas" in page and "Buat lead" in page  # quick actions
    timeline = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Ngopi di KC" in timeline  # the activity is on the timeline tab too

    # An agent sees the mini-pipeline counts but not the RM's lead list or composer.
    agent_page = (
        sign_in(Client(), agent).get(f"/customers/{customer.pk}/?tab=sales").content.decode()
    )
    assert f"/sales/leads/{lead.pk}/" not in agent_page
    assert (
        'data-testid="activity-composer"' not in agent_page
        and "Baru: <strong>1</strong>" in agent_page
    )


def test_manual_lead_from_the_360_page(make_customer, rm, agent):
    customer = make_customer()
    client = sign_in(Client(), agent)
    assert client.get(f"/sales/leads/new/{customer.pk}/").status_code == 200
    response = client.post(
        f"/sales/leads/new/{customer.pk}/", {"product_interest": "KPR", "note": "Tanya cicilan"}
    )
    # The agent cannot open the RM's lead, so they land back on the customer's Sales tab.
    assert response.status_code == 303 and response["Location"].endswith("?tab=sales")
    lead = customer.leads.get()
    assert (lead.source_type, lead.assigned_to, lead.note) == ("MANUAL", rm, "Tanya cicilan")


def test_an_empty_lead_form_creates_no_lead(make_customer, rm, agent):
    customer = make_customer()
    client = sign_in(Client(), agent)
    blank = {"product_interest": "", "note": ""}  # what the browser sends for an empty form
    for post in (blank, {"product_interest": "   ", "note": ""}, {"note": "Tanya cicilan"}):
        response = client.post(f"/sales/leads/new/{customer.pk}/", post)
        assert response.status_code == 400
        assert response.context["form"].errors["product_interest"]
    assert client.post(f"/sales/leads/new/{customer.pk}/", {}).status_code == 400
    assert not customer.leads.exists()
