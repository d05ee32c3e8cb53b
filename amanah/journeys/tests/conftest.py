import pytest

from amanah.core.roles import RoleKey as R
from amanah.journeys import services
from amanah.journeys.testing import standard_graph
from amanah.marketing import services as mkt
from amanah.marketing.testing import offer_template

SEGMENT_RULES = {
    "all": [
        {"field": "branch", "op": "in", "value": ["MDN01"]},
        {"field": "has_savings", "op": "eq", "value": True},
    ]
}


@pytest.fixture
def offers(db):
    return {channel: offer_template(channel) for channel in ("EMAIL", "WHATSAPP", "SMS")}


@pytest.fixture
def marketer(make_user):
    return make_user(R.MARKETING)


@pytest.fixture
def director(make_user):
    return make_user(R.DIRECTOR)


@pytest.fixture
def segment(marketer, branch_a):
    return mkt.segment_create(actor=marketer, name="Penabung Medan", rules=SEGMENT_RULES)


@pytest.fixture
def journey(marketer, director, segment, offers):
    """The standard journey (``testing.standard_graph``), ACTIVE: its first offer (``a1``) is a
    WhatsApp step; the template is approved on e-mail and SMS too (``offers``)."""
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    return services.journey_move(actor=marketer, journey=journey, to="ACTIVE")
