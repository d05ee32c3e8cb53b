"""The customer's own way out: the signed unsubscribe link (GET confirms, POST withdraws,
RFC 8058 one-click) and the STOP reply on WhatsApp/SMS, each a channel-only withdrawal
recorded and audited as CHANGE_CONSENT with the channel as its source."""

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    consent_withdraw_by_reply,
    consent_withdraw_channel,
    contactability,
    is_stop_reply,
    unsubscribe_headers,
    unsubscribe_url,
)
from amanah.consent.models import ConsentRecord
from amanah.consent.services import consent_change, consent_states, current_status
from amanah.consent.unsubscribe import SALT, read_unsubscribe_token, unsubscribe_token
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create

PHONE = "0812-3456-7890"


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def make(system, agent, branch_a):
    def make(name, phone=PHONE):
        customer = customer_create(
            actor=system, data=CustomerInput(full_name=name, home_branch=branch_a, phone=phone)
        )
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
        )
        return customer

    return make


def _path(customer, channel=ContactChannel.EMAIL):
    return unsubscribe_url(customer, channel).removeprefix("http://localhost:8000")


def _withdrawals(customer):
    return ConsentRecord.objects.filter(customer=customer).exclude(contact_channel="")


def _audits(customer):
    return AuditLog.objects.filter(action="CHANGE_CONSENT", object_id=str(customer.pk))


# --------------------------------------------------------------------------- the link


def test_get_only_asks_and_changes_nothing(make):
    siti = make("Siti")
    audits = _audits(siti).count()
    page = Client().get(_path(siti))
    assert page.status_code == 200
    assert "Berhenti menerima penawaran melalui Email" in page.content.decode()
    assert not _withdrawals(siti).exists() and _audits(siti).count() == audits


def test_post_withdraws_email_offers_only_audited_with_the_link_as_source(make):
    siti = make("Siti")
    done = Client(enforce_csrf_checks=True).post(_path(siti))
    assert done.status_code == 200 and "Berhasil" in done.content.decode()
    record = _withdrawals(siti).get()
    assert (record.captured_channel, record.verification_method) == ("EMAIL_LINK", "SIGNED_LINK")
    assert record.contact_channel == "EMAIL" and record.new_status == "WITHDRAWN"
    audit = _audits(siti).latest("id")
    assert audit.meta["channel"] == "EMAIL_LINK" and audit.meta["contact_channel"] == "EMAIL"
    assert audit.actor_username == "integration:customer-request"
    email = contactability(siti, Purpose.OFFER, ContactChannel.EMAIL)
    assert email.reasons == (Reason.CHANNEL_WITHDRAWN,)
    assert contactability(siti, Purpose.OFFER, ContactChannel.WHATSAPP).allowed
    assert consent_states(siti)["MARKETING"] == "GRANTED"


def test_a_replayed_post_is_idempotent_and_says_so(make):
    siti = make("Siti")
    Client().post(_path(siti))
    audits = _audits(siti).count()
    again = Client().post(_path(siti))
    assert again.status_code == 200 and "sebelumnya" in again.content.decode()
    assert _withdrawals(siti).count() == 1 and _audits(siti).count() == audits
    assert "sudah berhenti" in Client().get(_path(siti)).content.decode()


def test_rfc8058_one_click_post_from_a_mail_client(make):
    siti = make("Siti")
    headers = unsubscribe_headers(siti)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost:8000/berhenti/")
    one_click = Client(enforce_csrf_checks=True).post(
        url.removeprefix("http://localhost:8000"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    assert current_status(siti, "MARKETING", "EMAIL") == "WITHDRAWN"


def test_a_link_per_channel(make):
    siti = make("Siti")
    Client().post(_path(siti, ContactChannel.WHATSAPP))
    assert current_status(siti, "MARKETING", "WHATSAPP") == "WITHDRAWN"
    assert current_status(siti, "MARKETING", "EMAIL") == ""


def _forged(payload, salt=SALT):
    return signing.dumps(payload, salt=salt, compress=True)


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "abc:def:ghi",
        "../../etc/passwd",
        "A" * 5000,
        "%00",  # refused earlier, as a bad request (400), by the house's input guard
    ],
)
def test_hostile_tokens_are_refused_and_change_nothing(make, token):
    siti = make("Siti")
    for method in (Client().get, Client().post):
        assert method(f"/berhenti/{token}").status_code == (400 if token == "%00" else 404)
    assert not _withdrawals(siti).exists()


def test_tampered_foreign_or_stale_tokens_are_404(make):
    siti = make("Siti")
    good = unsubscribe_token(siti, ContactChannel.EMAIL)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    other_salt = _forged({"c": str(siti.pk), "ch": "EMAIL"}, salt="amanah.other")
    bad_channel = _forged({"c": str(siti.pk), "ch": "PIGEON"})
    bad_id = _forged({"c": "not-a-uuid", "ch": "EMAIL"})
    not_a_dict = _forged(["EMAIL"])
    gone = _forged({"c": "00000000-0000-0000-0000-000000000000", "ch": "EMAIL"})
    for token in (tampered, other_salt, bad_channel, bad_id, not_a_dict, gone):
        assert Client().post(f"/berhenti/{token}").status_code == 404, token
    assert read_unsubscribe_token(good).customer_id == siti.pk
    assert not _withdrawals(siti).exists()


def test_other_methods_are_refused(make):
    assert Client().put(_path(make("Siti"))).status_code == 405


def test_a_link_from_before_a_merge_withdraws_for_the_survivor(make):
    absorbed, survivor = make("Siti Lama"), make("Siti Baru", phone="")
    Customer.objects.filter(pk=absorbed.pk).update(merged_into=survivor)
    Client().post(_path(absorbed))
    assert current_status(survivor, "MARKETING", "EMAIL") == "WITHDRAWN"
    assert not _withdrawals(absorbed).exists()


# --------------------------------------------------------------------------- STOP


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "  Stop  ",
        "BERHENTI",
        "unreg",
        "Stop Promo",
        "stop   promo",
        "STOP.",
        "berhenti langganan",
        "Hentikan iklan",
        "UNSUBSCRIBE",
    ],
)
def test_stop_replies(text):
    assert is_stop_reply(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "halo",
        "jangan stop kartu saya",
        "stopkontak rusak",
        "batal",
        "STOP STOP STOP promo",
        "kapan promo berhenti?",
        None,
        42,
    ],
)
def test_not_stop_replies(text):
    assert not is_stop_reply(text)


def test_stop_withdraws_that_channel_for_everyone_on_the_number(make):
    husband, wife, other = make("Budi"), make("Ani"), make("Lain", phone="0813-1111-2222")
    made = consent_withdraw_by_reply(channel=ContactChannel.WHATSAPP, from_address="6281234567890")
    assert {r.customer_id for r in made} == {husband.pk, wife.pk}
    for customer in (husband, wife):
        record = _withdrawals(customer).get()
        assert (record.captured_channel, record.contact_channel) == ("WHATSAPP", "WHATSAPP")
        assert record.verification_method == "REGISTERED_NUMBER"
        assert _audits(customer).latest("id").meta["channel"] == "WHATSAPP"
        verdict = contactability(customer, Purpose.OFFER, ContactChannel.WHATSAPP)
        assert verdict.reasons == (Reason.CHANNEL_WITHDRAWN,)
        assert contactability(customer, Purpose.OFFER, ContactChannel.SMS).allowed
    assert not _withdrawals(other).exists()
    # A second STOP changes nothing.
    assert consent_withdraw_by_reply(channel=ContactChannel.WHATSAPP, from_address=PHONE) == []
    assert _withdrawals(husband).count() == 1


def test_stop_by_sms_withdraws_sms_only(make):
    budi = make("Budi")
    consent_withdraw_by_reply(channel=ContactChannel.SMS, from_address="+62 812 3456 7890")
    assert current_status(budi, "MARKETING", "SMS") == "WITHDRAWN"
    assert current_status(budi, "MARKETING", "WHATSAPP") == ""


@pytest.mark.parametrize("sender", ["081299998888", "not a number", "", "+1 202 555 0100"])
def test_stop_from_an_unknown_or_unreadable_number_is_a_no_op(make, sender):
    budi = make("Budi")
    assert consent_withdraw_by_reply(channel=ContactChannel.SMS, from_address=sender) == []
    assert not _withdrawals(budi).exists()


def test_stop_only_on_reply_channels(make):
    with pytest.raises(ServiceError) as refused:
        consent_withdraw_by_reply(channel=ContactChannel.EMAIL, from_address=PHONE)
    assert refused.value.code == "contact_channel_invalid"


# --------------------------------------------------------------------------- the service


def test_staff_may_withdraw_a_channel_marketing_never(make, agent, make_user, branch_a):
    from amanah.iam.models import RolePermission

    siti = make("Siti")
    record = consent_withdraw_channel(
        actor=agent,
        customer=siti,
        consent_type="MARKETING",
        channel=ContactChannel.PHONE,
        source="CALL_CENTER",
        reason="Minta tidak ditelepon untuk promo",
        verification_method="PHONE_OTP",
    )
    assert record.captured_by == agent and record.contact_channel == "PHONE"
    RolePermission.objects.create(role_id="MARKETING", permission="consent.change")
    marketing = make_user(R.MARKETING, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        consent_withdraw_channel(
            actor=marketing,
            customer=siti,
            consent_type="MARKETING",
            channel=ContactChannel.EMAIL,
            source="EMAIL",
        )
    with pytest.raises(ServiceError):
        consent_withdraw_channel(
            actor=agent, customer=siti, consent_type="MARKETING", channel="", source="BRANCH"
        )
    with pytest.raises(ServiceError) as unverified:  # staff must say how they verified
        consent_withdraw_channel(
            actor=agent, customer=siti, consent_type="MARKETING", channel="SMS", source="BRANCH"
        )
    assert unverified.value.code == "verification_required"
    assert _withdrawals(siti).count() == 1


# --------------------------------------------------------------------------- opted out: the event


@pytest.fixture
def opted_out():
    """What ``consent.channel_opted_out`` handlers receive (a probe handler)."""
    from amanah.core import events, registry
    from amanah.core.events import EventHandler

    seen = []

    def probe(*, actor, customer, record, channel, ref):
        seen.append((customer.pk, record.contact_channel, channel, ref))

    key = "consent.channel_opted_out:probe"
    with registry.event_handlers.temporarily(key, EventHandler("consent.channel_opted_out", probe)):
        assert key in dict(events.handlers_of("consent.channel_opted_out"))
        yield seen


def test_the_link_carries_the_senders_ref_back_with_the_event(make, opted_out):
    siti = make("Siti")
    ref = "0b5e7c1e-8a0e-4d43-9a43-3c9d8f1e2a77"
    token = unsubscribe_token(siti, "EMAIL", ref)
    assert len(token) < 250 and read_unsubscribe_token(token).ref == ref
    assert read_unsubscribe_token(unsubscribe_token(siti, "EMAIL")).ref == ""
    with pytest.raises(ValueError):
        unsubscribe_token(siti, "EMAIL", "x" * 65)
    path = unsubscribe_url(siti, "EMAIL", ref).removeprefix("http://localhost:8000")
    Client().post(path)
    Client().post(path)  # a replay withdraws nothing, so tells nothing
    assert opted_out == [(siti.pk, "EMAIL", "EMAIL", ref)]


def test_a_stop_reply_opts_out_without_a_ref_staff_withdrawals_do_not(make, agent, opted_out):
    siti = make("Siti")
    consent_withdraw_by_reply(channel="WHATSAPP", from_address=PHONE)
    consent_withdraw_channel(
        actor=agent,
        customer=siti,
        consent_type="MARKETING",
        channel=ContactChannel.PHONE,
        source="CALL_CENTER",
        reason="Minta tidak ditelepon untuk promo",
        verification_method="PHONE_OTP",
    )
    assert opted_out == [(siti.pk, "WHATSAPP", "WHATSAPP", "")]
