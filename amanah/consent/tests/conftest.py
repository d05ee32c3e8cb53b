"""Shared fixtures of the consent tests: a counter of sent campaign messages standing in for
messaging's outbox (frequency caps), and branches in the three zones."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value

from amanah.consent.contract import Purpose
from amanah.core import registry
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

CAPS = {"OFFER": {"EMAIL": {"day": 1, "week": 3}}}


def sent_campaign_messages(purpose: str, channel: str, since: datetime):
    """Campaign messages SENT to the customer on ``channel`` since ``since`` (offers only)."""
    from amanah.marketing.models import CampaignEvent

    if purpose != Purpose.OFFER:
        return Value(0)
    sent = (
        CampaignEvent.objects.filter(
            customer=OuterRef("pk"), event_type="SENT", channel=channel, at__gte=since
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(sent, output_field=IntegerField())


@pytest.fixture
def counted_caps(settings):
    """Caps on (1 email a day, 3 a week) with the test counter registered for the test."""
    settings.CONTACT_CAPS = CAPS
    with registry.contact_counters.temporarily("consent.tests.campaign", sent_campaign_messages):
        yield CAPS


@pytest.fixture
def send_email(db):
    """``send_email(customer, at)``: record one campaign email SENT to ``customer`` at ``at``."""
    from amanah.marketing.models import Campaign, CampaignEvent, Segment

    segment = Segment.objects.create(name="Segmen uji")

    def send(customer, at: datetime) -> None:
        campaign = Campaign.objects.create(
            name="Kampanye uji", message="Halo", channel="EMAIL", segment=segment
        )
        CampaignEvent.objects.create(
            campaign=campaign, customer=customer, event_type="SENT", channel="EMAIL", at=at
        )

    return send


@pytest.fixture
def zone_branches(db, system, branch_a):
    """{zone: branch}: the WIB branch of the shared fixtures, one WITA and one WIT branch."""
    return {
        TimeZoneChoice.WIB: branch_a,
        TimeZoneChoice.WITA: iam.branch_save(
            actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
        ),
        TimeZoneChoice.WIT: iam.branch_save(
            actor=system, code="JAP01", name="KC Jayapura", timezone_name=TimeZoneChoice.WIT
        ),
    }
