"""Communication preferences (issue 17): one channel per purpose, recorded by service staff,
feeding the one contactability rule — both forms answer NOT_PREFERRED for another channel."""

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.consent.contract import (
    PREFERENCE_CHANGED,
    ContactChannel,
    Purpose,
    Reason,
    blocked_flag,
    contact_preference_set,
    contactability,
    preferred_channel,
    preferred_channels,
    reason_codes,
    reason_label,
    with_contact_checks,
)
from amanah.consent.models import ContactPreference
from amanah.consent.services import consent_change
from amanah.consent.testing import withdraw_offers_on
from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def customer(system, agent, branch_a):
    made = customer_create(actor=system, data=CustomerInput(full_name="Siti", home_branch=branch_a))
    consent_change(
        actor=agent,
        customer=made,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    return made


def _set_reason(customer, purpose, channel):
    return (
        with_contact_checks(Customer.objects.filter(pk=customer.pk), purpose, channel)
        .values_list("contact_reason", blocked_flag(Reason.NOT_PREFERRED))
        .get()
    )


def test_a_preferred_channel_refuses_the_others_for_that_purpose_only(agent, customer):
    contact_preference_set(
        actor=agent, customer=customer, purpose=Purpose.COLLECTION, channel="WHATSAPP"
    )

    sms = contactability(customer, Purpose.COLLECTION, ContactChannel.SMS)
    assert (sms.allowed, sms.reasons) == (False, (Reason.NOT_PREFERRED,))
    assert sms.refused and not sms.must_wait
    assert sms.labels == [reason_label(Reason.NOT_PREFERRED)]
    assert "pilihan" in reason_label(Reason.NOT_PREFERRED)
    assert _set_reason(customer, Purpose.COLLECTION, "SMS") == ("NOT_PREFERRED", True)

    assert contactability(customer, Purpose.COLLECTION, ContactChannel.WHATSAPP).allowed
    assert _set_reason(customer, Purpose.COLLECTION, "WHATSAPP") == ("", False)
    # Other purposes are untouched, and so are calls and visits (not messages).
    assert contactability(customer, Purpose.SERVICE, ContactChannel.SMS).allowed
    assert contactability(customer, Purpose.OFFER, ContactChannel.SMS).allowed
    assert contactability(customer, Purpose.COLLECTION, ContactChannel.VISIT).allowed
    visit = with_contact_checks(Customer.objects.filter(pk=customer.pk), "COLLECTION", "VISIT")
    assert visit.values_list("contact_reason", flat=True).get() == ""
    assert Reason.NOT_PREFERRED in reason_codes(Purpose.COLLECTION)
    assert preferred_channel(customer, Purpose.COLLECTION) == "WHATSAPP"
    assert preferred_channels([customer.pk], Purpose.COLLECTION) == {customer.pk: "WHATSAPP"}
    assert preferred_channel(customer, Purpose.SERVICE) == ""


def test_both_forms_agree_over_every_purpose_and_channel(agent, customer, system, branch_a):
    other = customer_create(
        actor=system, data=CustomerInput(full_name="Budi", home_branch=branch_a)
    )
    contact_preference_set(actor=agent, customer=customer, purpose=Purpose.OFFER, channel="EMAIL")
    contact_preference_set(actor=agent, customer=other, purpose=Purpose.SERVICE, channel="SMS")
    for purpose in (Purpose.OFFER, Purpose.COLLECTION, Purpose.SERVICE):
        for channel in ContactChannel.values:
            rows = dict(
                with_contact_checks(
                    Customer.objects.filter(pk__in=[customer.pk, other.pk]), purpose, channel
                ).values_list("pk", "contact_reason")
            )
            for person in (customer, other):
                one = contactability(person, purpose, channel)
                assert rows[person.pk] == one.reason, (person.full_name, purpose, channel)


def test_change_is_audited_emitted_and_clearing_allows_any_channel(agent, customer):
    seen = []

    def probe(*, actor, customer, purpose, old, new):
        seen.append((purpose, old, new))

    key = f"{PREFERENCE_CHANGED}:probe"
    with registry.event_handlers.temporarily(key, EventHandler(PREFERENCE_CHANGED, probe)):
        assert contact_preference_set(
            actor=agent, customer=customer, purpose=Purpose.SERVICE, channel="EMAIL"
        )
        assert not contact_preference_set(
            actor=agent, customer=customer, purpose=Purpose.SERVICE, channel="EMAIL"
        )
        assert contact_preference_set(
            actor=agent, customer=customer, purpose=Purpose.SERVICE, channel=""
        )
    assert seen == [("SERVICE", "", "EMAIL"), ("SERVICE", "EMAIL", "")]
    rows = AuditLog.objects.filter(action="CHANGE_CONSENT", meta__preference="SERVICE")
    assert [(r.meta["old"], r.meta["new"]) for r in rows.order_by("pk")] == [
        ("", "EMAIL"),
        ("EMAIL", ""),
    ]
    assert not ContactPreference.objects.filter(customer=customer).exists()
    assert contactability(customer, Purpose.SERVICE, ContactChannel.SMS).allowed


@pytest.mark.parametrize(
    ("purpose", "channel", "code"),
    [
        ("STAFF", "EMAIL", "purpose_invalid"),
        ("NOPE", "EMAIL", "purpose_invalid"),
        ("SERVICE", "VISIT", "channel_invalid"),
        ("SERVICE", "PIGEON", "channel_invalid"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(agent, customer, purpose, channel, code):
    with pytest.raises(ServiceError) as refused:
        contact_preference_set(actor=agent, customer=customer, purpose=purpose, channel=channel)
    assert refused.value.code == code
    assert not ContactPreference.objects.filter(customer=customer).exists()


def test_marketing_and_other_branches_may_not_set_preferences(make_user, customer, branch_b):
    marketer = make_user(R.MARKETING)
    with pytest.raises(PermissionDenied):
        contact_preference_set(actor=marketer, customer=customer, purpose="OFFER", channel="SMS")
    elsewhere = make_user(R.AGENT, branches=[branch_b])
    with pytest.raises((PermissionDenied, Exception)):
        contact_preference_set(actor=elsewhere, customer=customer, purpose="OFFER", channel="SMS")
    assert not ContactPreference.objects.filter(customer=customer).exists()


def test_the_360_tab_shows_and_changes_the_preferences(signed_in, customer, branch_a):
    client, _user = signed_in(R.AGENT, branches=[branch_a])
    page = f"/customers/{customer.pk}/?tab=consent.preferences"
    shown = client.get(page)
    assert shown.status_code == 200
    assert b'data-testid="contact-preferences"' in shown.content
    assert b'data-testid="preference-form"' in shown.content
    posted = client.post(
        f"/preferensi-kontak/{customer.pk}/", {"purpose": "COLLECTION", "channel": "SMS"}
    )
    assert posted.status_code == 303
    assert preferred_channel(customer, Purpose.COLLECTION) == "SMS"
    refused = client.post(
        f"/preferensi-kontak/{customer.pk}/", {"purpose": "COLLECTION", "channel": "VISIT"}
    )
    assert refused.status_code in (303, 400)
    assert preferred_channel(customer, Purpose.COLLECTION) == "SMS"


def test_an_offer_preference_on_a_withdrawn_channel_no_longer_turns_the_others_away(
    agent, customer
):
    contact_preference_set(
        actor=agent, customer=customer, purpose=Purpose.OFFER, channel="WHATSAPP"
    )
    contact_preference_set(
        actor=agent, customer=customer, purpose=Purpose.COLLECTION, channel="WHATSAPP"
    )
    assert contactability(customer, Purpose.OFFER, "EMAIL").reasons == (Reason.NOT_PREFERRED,)
    withdraw_offers_on(agent, customer, "WHATSAPP")
    # The offer may go on e-mail now (the later, narrower word wins); WhatsApp is refused.
    assert contactability(customer, Purpose.OFFER, "EMAIL").allowed
    assert _set_reason(customer, Purpose.OFFER, "EMAIL") == ("", False)
    assert contactability(customer, Purpose.OFFER, "WHATSAPP").reasons == (
        Reason.CHANNEL_WITHDRAWN,
    )
    # A marketing withdrawal says nothing about collection messages: that preference holds.
    assert contactability(customer, Purpose.COLLECTION, "SMS").reasons == (Reason.NOT_PREFERRED,)


def test_reasons_on_several_channels_in_one_statement_agree_with_each_channel(
    agent, customer, system, branch_a, django_assert_num_queries
):
    from amanah.consent.contract import with_channel_reasons

    other = customer_create(
        actor=system, data=CustomerInput(full_name="Budi", home_branch=branch_a)
    )
    contact_preference_set(actor=agent, customer=customer, purpose=Purpose.OFFER, channel="SMS")
    withdraw_offers_on(agent, customer, "EMAIL")
    people = Customer.objects.filter(pk__in=[customer.pk, other.pk])
    channels = ("EMAIL", "WHATSAPP", "SMS")
    for purpose in (Purpose.OFFER, Purpose.SERVICE):
        with django_assert_num_queries(1):
            rows = {
                row["pk"]: row
                for row in with_channel_reasons(people, purpose, channels).values(
                    "pk", *(f"contact_reason_{c}" for c in channels)
                )
            }
        for channel in channels:
            one = dict(
                with_contact_checks(people, purpose, channel).values_list("pk", "contact_reason")
            )
            for pk, reason in one.items():
                assert rows[pk][f"contact_reason_{channel}"] == reason, (purpose, channel)
    assert rows[customer.pk]["contact_reason_SMS"] == ""  # SERVICE: no preference named
    with pytest.raises(ValueError):
        with_channel_reasons(people, Purpose.OFFER, ("EMAIL", "FAX"))
