"""The 360 Komunikasi tab: every message to a customer the actor may see, newest first, with
its provider status timeline and the masked address only; filters validated; 404 outside the
actor's scope."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer, PortfolioAssignment
from amanah.iam.models import RolePermission
from amanah.messaging import addresses, selectors
from amanah.messaging.models import Message, MessageEvent
from amanah.messaging.policies import MESSAGE_VIEW_CUSTOMER
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
    assert "Isi pesan rahasia" in page  # an offer's content is shown (selectors.body_shown)
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
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert agent.get(f"/messaging/customers/{elsewhere.pk}/").status_code == 404


# COMPLIANCE and ADMIN hold message.view_customer too, but open no customer by default
# (customer.view): the tab follows the customer, so they see it only where the matrix lets
# them open customers.
@pytest.mark.parametrize("role", [R.AGENT, R.RM, R.SUPERVISOR])
def test_roles_with_the_tab_see_masked_addresses_and_no_staff_messages(make_user, branch_a, role):
    customer = make_customer(branch_a)
    user = make_user(role, branches=[branch_a])
    if role == R.RM:  # an RM sees the customers of the portfolio
        PortfolioAssignment.objects.create(customer=customer, rm=user)
    offer = make_message(customer, 0, address="siti.aminah@rahasia.co.id")
    make_message(customer, 1, purpose="STAFF", address="staf.rahasia@bank.co.id")
    client = sign_in(Client(), user)
    page = client.get(f"/customers/{customer.pk}/?tab=messaging").content.decode()
    assert 'data-testid="messaging-tab"' in page
    assert offer.address_masked in page and "siti.aminah@rahasia.co.id" not in page
    assert page.count('class="message-row"') == 1 and "staf.rahasia" not in page
    listing = client.get(f"/messaging/customers/{customer.pk}/")
    assert listing.status_code == 200 and listing.content.decode().count('class="message-row"') == 1


def test_an_rm_sees_the_tab_of_a_portfolio_customer_only(make_user, branch_a):
    rm = make_user(R.RM, branches=[branch_a])
    theirs, not_theirs = make_customer(branch_a), make_customer(branch_a, "Bukan Portofolio")
    PortfolioAssignment.objects.create(customer=theirs, rm=rm)
    make_message(theirs, 0)
    make_message(not_theirs, 1)
    client = sign_in(Client(), rm)
    assert client.get(f"/messaging/customers/{theirs.pk}/").status_code == 200
    assert client.get(f"/messaging/customers/{not_theirs.pk}/").status_code == 404
    assert client.get(f"/customers/{not_theirs.pk}/?tab=messaging").status_code == 404


@pytest.mark.parametrize("role", [R.MARKETING, R.DIRECTOR])
def test_roles_without_the_permission_get_no_tab(make_user, branch_a, role):
    customer = make_customer(branch_a)
    make_message(customer)
    client = sign_in(Client(), make_user(role, branches=[branch_a]))
    page = client.get(f"/customers/{customer.pk}/?tab=messaging")
    assert 'data-testid="messaging-tab"' not in page.content.decode()
    assert "Komunikasi<" not in page.content.decode()
    assert client.get(f"/messaging/customers/{customer.pk}/").status_code in (403, 404)


def test_without_the_permission_in_the_matrix_the_agent_loses_the_tab(make_user, branch_a):
    """The grant is data: take it from AGENT in the matrix and the tab and the list go."""
    customer = make_customer(branch_a)
    make_message(customer)
    RolePermission.objects.filter(role_id=R.AGENT, permission=MESSAGE_VIEW_CUSTOMER).delete()
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    page = client.get(f"/customers/{customer.pk}/?tab=messaging")
    assert page.status_code == 200 and 'data-testid="messaging-tab"' not in page.content.decode()
    assert client.get(f"/messaging/customers/{customer.pk}/").status_code == 403


def test_which_bodies_the_tab_shows(supervisor_client, make_user, branch_a):
    """Offers and service messages show their text; collection messages never do; a service
    message from a sensitive case only to someone who may see its details."""
    customer = make_customer(branch_a)
    offer = make_message(customer, 0, purpose="OFFER")
    offer.text = "Promo deposito untuk Anda"
    offer.save()
    collection = make_message(customer, 1, purpose="COLLECTION")
    collection.text = "Tunggakan Rp 1.234.567"
    collection.save()
    service = make_message(customer, 2, purpose="SERVICE")
    service.text = "Kabar pengaduan Anda"
    service.save()
    page = supervisor_client.get(f"/messaging/customers/{customer.pk}/").content.decode()
    assert "Promo deposito untuk Anda" in page and "Kabar pengaduan Anda" in page
    assert "1.234.567" not in page and page.count('data-testid="message-body"') == 2
    agent = make_user(R.AGENT, branches=[branch_a])
    shown = {
        m.purpose: m.body
        for m in selectors.customer_messages(actor=agent, customer=customer).object_list
    }
    assert shown["COLLECTION"] is None and "Promo deposito" in shown["OFFER"]
    # a service message naming a case the agent cannot open: no body
    service.source, service.source_id = "CASE", str(uuid.uuid4())
    service.save()
    shown = {
        m.purpose: m.body
        for m in selectors.customer_messages(actor=agent, customer=customer).object_list
    }
    assert shown["SERVICE"] is None


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
