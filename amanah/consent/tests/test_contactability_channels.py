"""Consent per type *and* channel: withdrawing MARKETING for one channel (an unsubscribe link,
a STOP reply) leaves the other channels and the per-type state as they were."""

import pytest

from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    with_contact_checks,
)
from amanah.consent.models import ChannelConsentState, ConsentRecord
from amanah.consent.services import consent_change, consent_states, current_status
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def customer(system, agent, branch_a):
    made = customer_create(actor=system, data=CustomerInput(full_name="Siti", home_branch=branch_a))
    consent_change(
        actor=agent, customer=made, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    return made


def _change(agent, customer, status, channel, **extra):
    return consent_change(
        actor=agent,
        customer=customer,
        consent_type="MARKETING",
        new_status=status,
        contact_channel=channel,
        **GOOD,
        **extra,
    )


def _set_reason(customer, channel):
    return (
        with_contact_checks(Customer.objects.filter(pk=customer.pk), Purpose.OFFER, channel)
        .values_list("contact_reason", flat=True)
        .get()
    )


def test_withdrawing_email_only_keeps_whatsapp_offers(agent, customer):
    record = _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)

    email = contactability(customer, Purpose.OFFER, ContactChannel.EMAIL)
    assert email.reasons == (Reason.CHANNEL_WITHDRAWN,) and email.refused
    assert contactability(customer, Purpose.OFFER, ContactChannel.WHATSAPP).allowed
    assert _set_reason(customer, ContactChannel.EMAIL) == Reason.CHANNEL_WITHDRAWN
    assert _set_reason(customer, ContactChannel.WHATSAPP) == ""
    # The per-type state and the 360's view of it are untouched; the history has the record.
    assert consent_states(customer)["MARKETING"] == "GRANTED"
    assert record.contact_channel == "EMAIL" and record.old_status == ""
    assert current_status(customer, "MARKETING", "EMAIL") == "WITHDRAWN"


def test_a_grant_for_the_channel_lifts_its_withdrawal(agent, customer):
    _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)
    again = _change(agent, customer, "GRANTED", ContactChannel.EMAIL)
    assert again.old_status == "WITHDRAWN"
    assert contactability(customer, Purpose.OFFER, ContactChannel.EMAIL).allowed
    assert _set_reason(customer, ContactChannel.EMAIL) == ""


def test_an_overall_withdrawal_wins_over_a_channel_grant(agent, customer):
    _change(agent, customer, "GRANTED", ContactChannel.SMS)
    _change(agent, customer, "WITHDRAWN", "")
    verdict = contactability(customer, Purpose.OFFER, ContactChannel.SMS)
    assert verdict.reasons == (Reason.NO_CONSENT,)
    assert _set_reason(customer, ContactChannel.SMS) == Reason.NO_CONSENT


def test_a_channel_withdrawal_does_not_touch_service_messages(agent, customer):
    _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)
    assert contactability(customer, Purpose.SERVICE, ContactChannel.EMAIL).allowed


def test_bad_or_repeated_channel_changes_are_refused_and_change_nothing(agent, customer):
    with pytest.raises(ServiceError) as bad:
        _change(agent, customer, "WITHDRAWN", "PIGEON")
    assert bad.value.code == "contact_channel_invalid"
    _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)
    with pytest.raises(ServiceError) as same:
        _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)
    assert same.value.code == "no_change"
    assert ConsentRecord.objects.filter(customer=customer).exclude(contact_channel="").count() == 1


def test_merge_keeps_the_channel_withdrawal_with_the_survivor(agent, customer, system, branch_a):
    from amanah.consent.services import consent_move_to_survivor

    survivor = customer_create(
        actor=system, data=CustomerInput(full_name="Siti A", home_branch=branch_a)
    )
    _change(agent, customer, "WITHDRAWN", ContactChannel.EMAIL)
    consent_move_to_survivor(customer, survivor)
    assert not ChannelConsentState.objects.filter(customer=customer).exists()
    assert current_status(survivor, "MARKETING", "EMAIL") == "WITHDRAWN"
    assert consent_states(survivor)["MARKETING"] == "GRANTED"


def test_staff_cannot_claim_the_customer_withdrew_on_their_own(agent, customer):
    with pytest.raises(ServiceError) as source:
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="WITHDRAWN",
            channel="EMAIL_LINK",
            verification_method="IN_PERSON",
        )
    assert source.value.code == "channel_invalid"
    with pytest.raises(ServiceError) as check:
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="WITHDRAWN",
            channel="BRANCH",
            verification_method="REGISTERED_NUMBER",
        )
    assert check.value.code == "verification_invalid"
    assert consent_states(customer)["MARKETING"] == "GRANTED"


def test_the_360_page_records_and_shows_a_channel_withdrawal(signed_in, customer, branch_a):
    client, _user = signed_in(R.AGENT, branches=[branch_a])
    response = client.post(
        f"/customers/{customer.pk}/consent/",
        {
            "consent_type": "MARKETING",
            "new_status": "WITHDRAWN",
            "channel": "CALL_CENTER",
            "verification_method": "PHONE_OTP",
            "contact_channel": "SMS",
        },
    )
    assert response.status_code == 303
    assert current_status(customer, "MARKETING", "SMS") == "WITHDRAWN"
    assert consent_states(customer)["MARKETING"] == "GRANTED"
    page = client.get(f"/customers/{customer.pk}/?tab=marketing").content.decode()
    assert 'data-testid="channel-withdrawals"' in page and "Pemasaran — SMS" in page
    assert "Balasan WhatsApp (STOP)" not in page  # staff cannot pick the customer's own sources
