"""The 360 Komunikasi tab: every message to a customer the actor may see, newest first, with
its provider status timeline and the masked address only; filters validated; 404 outside the
actor's scope."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.messaging import addresses
from amanah.messaging.models import Message, MessageEvent
from amanah.messaging.selectors import PAGE_SIZE

UTC = ZoneInfo("UTC")
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB


def make_customer(branch, name="Nasabah Komunikasi") -> Customer:
    return Customer.objects.create(
        full_name=name, name_search=name.lower(), home_branch=branch, email="x@contoh.co.id"
    )


def make_message(customer, n=0, *, channel="EMAIL", purpose="OFFER", status="SENT", address=""):
    address = address or f"penerima{n}@rahasia.co.id"
    return Message.objects.create(
        channel=channel,
        purpose=purpose,
        customer=customer,
        template_key="promo_deposito",
        template_version=3,
        subject="Isi pesan rahasia",
        text="Isi pesan rahasia",
        address_sealed=addresses.seal(address),
        address_masked=addresses.mask(channel, address),
        source="CAMPAIGN",
        source_id="c1",
        step=str(n),
        status=status,
        created_at=T0 + timedelta(minutes=n),
    )


@pytest.fixture
def supervisor_client(make_user, branch_a):
    return sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))


def test_the_tab_shows_the_messages_with_masked_addresses_and_timeline(supervisor_client, branch_a):
    customer = make_customer(branch_a)
    older = make_message(customer, 0, address="siti.aminah@rahasia.co.id")
    newer = make_message(customer, 1, channel="WHATSAPP", status="READ", address="+6281370002002")
    MessageEvent.objects.create(
        message=newer, provider="wa", event_id="e2", status="READ", at=T0 + timedelta(hours=2)
    )
    MessageEvent.objects.create(
        message=newer, provider="wa", event_id="e1", status="DELIVERED", at=T0 + timedelta(hours=1)
    )
    page = supervisor_client.get(f"/customers/{customer.pk}/?tab=messaging").content.decode()
    assert 'data-testid="messaging-tab"' in page and 'href="?tab=messaging"' in page
    assert older.address_masked in page and newer.address_masked in page
    assert "siti.aminah@rahasia.co.id" not in page and "81370002002" not in page
    assert "Isi pesan rahasia" not in page  # the body is not the tab's business
    assert page.index(newer.address_masked) < page.index(older.address_masked)  # newest first
    assert "promo_deposito · v3" in page and "WhatsApp" in page and "Dibaca" in page
    # provider timestamps in time order, in the user's zone (WIB)
    assert page.index("20 Nov 2026 11:00:00 WIB") < page.index("20 Nov 2026 12:00:00 WIB")


def test_an_actor_who_may_not_see_the_customer_gets_404(
    supervisor_client, branch_b, make_user, branch_a
):
    elsewhere = make_customer(branch_b)
    make_message(elsewhere)
    assert supervisor_client.get(f"/customers/{elsewhere.pk}/?tab=messaging").status_code == 404
    assert supervisor_client.get(f"/messaging/customers/{elsewhere.pk}/").status_code == 404
    # an agent (no message.view) sees neither the tab nor the list
    mine = make_customer(branch_a)
    make_message(mine)
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    page = agent.get(f"/customers/{mine.pk}/?tab=messaging").content.decode()
    assert 'data-testid="messaging-tab"' not in page and "Komunikasi<" not in page
    assert agent.get(f"/messaging/customers/{mine.pk}/").status_code == 403


def test_filters_and_pagination(supervisor_client, branch_a):
    customer = make_customer(branch_a)
    for n in range(PAGE_SIZE + 2):
        make_message(customer, n)
    make_message(customer, 100, channel="SMS", purpose="SERVICE", status="FAILED")
    url = f"/messaging/customers/{customer.pk}/"

    def rows(**query):
        response = supervisor_client.get(url, query)
        assert response.status_code == 200
        return response.content.decode().count('class="message-row"'), response.content.decode()

    count, page = rows()
    assert count == PAGE_SIZE and "Halaman 1 dari 2" in page
    assert rows(page=2)[0] == 3
    assert rows(channel="SMS")[0] == 1
    assert rows(purpose="SERVICE", status="FAILED")[0] == 1
    assert rows(channel="EMAIL", status="FAILED")[0] == 0
    # htmx gets the list alone to swap into the tab; without JavaScript, a whole page
    partial = supervisor_client.get(url, {"channel": "SMS"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "<html" in page
    assert partial.content.decode().count('class="message-row"') == 1
    count, page = rows(channel="EMAIL", page=2)
    assert count == 2 and "channel=EMAIL&amp;page=1" in page  # links keep the filters


@pytest.mark.parametrize(
    "query",
    [
        {"channel": "FAX"},
        {"status": "' OR 1=1 --"},
        {"purpose": "x" * 5000},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
    ],
)
def test_hostile_filters_answer_400_with_a_code(supervisor_client, branch_a, query):
    customer = make_customer(branch_a)
    make_message(customer)
    response = supervisor_client.get(f"/messaging/customers/{customer.pk}/", query)
    assert response.status_code == 400
    assert 'data-error-code="invalid_filter"' in response.content.decode()


def test_hostile_tab_query_on_the_360_page_is_harmless(supervisor_client, branch_a):
    customer = make_customer(branch_a)
    make_message(customer)
    response = supervisor_client.get(
        f"/customers/{customer.pk}/", {"tab": "messaging", "channel": "FAX", "page": "-3"}
    )
    assert (
        response.status_code == 200 and 'data-testid="messaging-tab"' in response.content.decode()
    )
    assert supervisor_client.get(f"/customers/{customer.pk}/?tab=mess%00aging").status_code == 400
