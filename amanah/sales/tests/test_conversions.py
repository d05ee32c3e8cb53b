"""A won lead or opportunity is a conversion in messaging's channel analytics: counted against
the last offer the customer clicked, else the last one sent, in the 30 days before."""

from datetime import timedelta

from django.utils import timezone

from amanah.core.roles import RoleKey as R
from amanah.messaging.models import Engagement, EngagementKind
from amanah.messaging.selectors import channel_analytics
from amanah.messaging.tests.test_communication_tab import make_message
from amanah.messaging.tests.test_unsubscribe_engagement import analytics_cell
from amanah.sales import services

REASON = "Nasabah setuju membuka deposito"


def _offer(customer, n, campaign, channel="EMAIL", *, ago, clicked=False, purpose="OFFER"):
    message = make_message(customer, n, channel=channel, purpose=purpose)
    message.source_id, message.sent_at = campaign, timezone.now() - ago
    message.save(update_fields=["source_id", "sent_at"])
    if clicked:
        Engagement.objects.create(message=message, kind=EngagementKind.CLICK)
    return message


def _converted(make_user, branch):
    supervisor = make_user(R.SUPERVISOR, branches=[branch])
    return {
        (r.campaign_id, r.channel): r.counts["converted"]
        for r in channel_analytics(actor=supervisor)
    }


def _conversions():
    return list(
        Engagement.objects.filter(kind=EngagementKind.CONVERT).values_list("message_id", flat=True)
    )


def test_a_won_lead_converts_the_last_clicked_offer_once(
    make_customer, rm, agent, in_portfolio, make_user, branch_a
):
    customer = in_portfolio(make_customer(), rm)
    clicked = _offer(customer, 1, "kampanye-a", ago=timedelta(days=10), clicked=True)
    _offer(customer, 2, "kampanye-b", "WHATSAPP", ago=timedelta(days=2))  # later, not clicked
    _offer(customer, 3, "kampanye-lama", ago=timedelta(days=40), clicked=True)  # too old
    _offer(customer, 4, "layanan", ago=timedelta(days=1), clicked=True, purpose="SERVICE")

    lead = services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    services.lead_move(actor=rm, lead=lead, to_status="QUALIFIED")
    assert _conversions() == []  # only a win converts
    services.lead_move(actor=rm, lead=lead, to_status="CLOSED_WON", reason=REASON)
    assert _conversions() == [clicked.pk]

    opportunity = services.opportunity_create(
        actor=rm, customer=customer, product_interest="Deposito", estimated_value="5000000"
    )
    services.opportunity_move(actor=rm, opportunity=opportunity, to_stage="CLOSED_WON")
    assert _conversions() == [clicked.pk]  # the same offer converts once
    converted = _converted(make_user, branch_a)
    assert converted[("kampanye-a", "EMAIL")] == 1
    assert converted[("kampanye-b", "WHATSAPP")] == 0
    assert converted[("kampanye-lama", "EMAIL")] == 0


def test_without_a_click_the_last_offer_sent_converts_an_sms_too(
    make_customer, rm, in_portfolio, make_user, branch_a
):
    customer = in_portfolio(make_customer(), rm)
    _offer(customer, 1, "kampanye-email", ago=timedelta(days=6))
    sms = _offer(customer, 2, "kampanye-sms", "SMS", ago=timedelta(days=1))
    opportunity = services.opportunity_create(
        actor=rm, customer=customer, product_interest="KPR", estimated_value="100000000"
    )
    services.opportunity_move(actor=rm, opportunity=opportunity, to_stage="CLOSED_WON")
    assert _conversions() == [sms.pk]
    converted = _converted(make_user, branch_a)
    assert converted[("kampanye-sms", "SMS")] == 1
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    assert analytics_cell(supervisor, "kampanye-sms", "SMS", "converted") == "1"
    assert analytics_cell(supervisor, "kampanye-email", "EMAIL", "converted") == "0"
    assert converted[("kampanye-email", "EMAIL")] == 0


def test_a_loss_or_a_win_without_a_recent_offer_converts_nothing(make_customer, rm, in_portfolio):
    customer = in_portfolio(make_customer(), rm)
    _offer(customer, 1, "kampanye-lama", ago=timedelta(days=31), clicked=True)
    lost = services.opportunity_create(
        actor=rm, customer=customer, product_interest="KPR", estimated_value="1000000"
    )
    services.opportunity_move(
        actor=rm, opportunity=lost, to_stage="CLOSED_LOST", reason="Tidak berminat"
    )
    won = services.opportunity_create(
        actor=rm, customer=customer, product_interest="Tabungan", estimated_value="1000000"
    )
    services.opportunity_move(actor=rm, opportunity=won, to_stage="CLOSED_WON")
    assert _conversions() == []
