"""consent.contactability: one rule, two forms (one customer / a queryset) that agree."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from amanah.cases import services as cases
from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    contactable,
    reason_label,
    register_contact_blocker,
    with_contact_checks,
)
from amanah.consent.models import Suppression
from amanah.consent.services import consent_change, suppression_add
from amanah.core.errors import ServiceError
from amanah.core.registry import DuplicateRegistration
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

WIB = ZoneInfo("Asia/Jakarta")
GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}

# Moments (WIB) chosen against DESIGN §6's windows.
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # every window open
TUESDAY_1730 = datetime(2026, 11, 24, 17, 30, tzinfo=WIB)  # offers open in WIB, 18:30 WITA
TUESDAY_1930 = datetime(2026, 11, 24, 19, 30, tzinfo=WIB)  # collection open, offers closed
SUNDAY_10 = datetime(2026, 11, 22, 10, 0, tzinfo=WIB)  # only service open
INDEPENDENCE_DAY_10 = datetime(2026, 8, 17, 10, 0, tzinfo=WIB)  # a Monday, national holiday
MONDAY_0630 = datetime(2026, 11, 23, 6, 30, tzinfo=WIB)  # before every window
MOMENTS = [
    None,
    TUESDAY_10,
    TUESDAY_1730,
    TUESDAY_1930,
    SUNDAY_10,
    INDEPENDENCE_DAY_10,
    MONDAY_0630,
]


@pytest.fixture
def branch_wita(db, system):
    return iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
    )


@pytest.fixture
def agent(make_user, branch_a, branch_wita):
    return make_user(R.AGENT, branches=[branch_a, branch_wita])


@pytest.fixture
def people(db, system, agent, branch_a, branch_wita):
    """One customer per situation the rule must tell apart."""

    def make(name, *, branch=branch_a, consent=None, suppressed=False, fraud=False, **data):
        customer = customer_create(
            actor=system, data=CustomerInput(full_name=name, home_branch=branch, **data)
        )
        for status in consent or []:
            consent_change(
                actor=agent,
                customer=customer,
                consent_type="MARKETING",
                new_status=status,
                **GOOD,
            )
        if suppressed:
            suppression_add(actor=agent, customer=customer, reason="minta tidak dihubungi")
        if fraud:
            cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code="FRAUD_SCAM",
                    priority="HIGH",
                    description="Nasabah melaporkan transaksi yang tidak dikenalnya kemarin.",
                ),
            )
        return customer

    return {
        "granted": make("Granted", consent=["GRANTED"]),
        "granted in WITA": make("Granted WITA", branch=branch_wita, consent=["GRANTED"]),
        "no record": make("No Record"),
        "withdrawn": make("Withdrawn", consent=["GRANTED", "WITHDRAWN"]),
        "suppressed": make("Suppressed", consent=["GRANTED"], suppressed=True),
        "suppressed, no consent": make("Suppressed No Consent", suppressed=True),
        "fraud case open": make("Fraud Open", consent=["GRANTED"], fraud=True),
        "closed": make("Closed", consent=["GRANTED"], status="CLOSED"),
    }


EXPECTED_OFFER_REASONS = {
    "granted": (),
    "granted in WITA": (),
    "no record": (Reason.NO_CONSENT,),
    "withdrawn": (Reason.NO_CONSENT,),
    "suppressed": (Reason.DO_NOT_CONTACT,),
    "suppressed, no consent": (Reason.NO_CONSENT, Reason.DO_NOT_CONTACT),
    "fraud case open": ("SENSITIVE_CASE",),
    "closed": (Reason.CUSTOMER_INACTIVE,),
}


def test_offer_reasons_without_a_window(people):
    for name, customer in people.items():
        verdict = contactability(customer, Purpose.OFFER, ContactChannel.WHATSAPP)
        assert verdict.reasons == EXPECTED_OFFER_REASONS[name], name
        assert verdict.allowed == (not EXPECTED_OFFER_REASONS[name])
        assert all(
            label and label != code
            for code, label in zip(verdict.reasons, verdict.labels, strict=True)
        )


def test_only_offers_need_consent_and_respect_do_not_contact(people):
    for purpose in (Purpose.COLLECTION, Purpose.SERVICE, Purpose.STAFF):
        for name, customer in people.items():
            assert contactability(customer, purpose, ContactChannel.PHONE).allowed, (purpose, name)


@pytest.mark.parametrize("purpose", Purpose.values)
@pytest.mark.parametrize("at", MOMENTS, ids=lambda m: m.isoformat() if m else "no-window")
def test_the_one_customer_and_the_set_forms_agree(people, purpose, at):
    everyone = Customer.objects.filter(pk__in=[c.pk for c in people.values()])
    column = dict(
        with_contact_checks(everyone, purpose, ContactChannel.SMS, at).values_list(
            "pk", "contact_reason"
        )
    )
    allowed = set(
        contactable(everyone, purpose, ContactChannel.SMS, at).values_list("pk", flat=True)
    )
    for name, customer in people.items():
        verdict = contactability(customer, purpose, ContactChannel.SMS, at)
        assert column[customer.pk] == verdict.reason, name
        assert (customer.pk in allowed) == verdict.allowed, name


def test_contact_windows_per_purpose_in_the_home_branch_zone(people):
    wib, wita = people["granted"], people["granted in WITA"]

    def reasons(customer, purpose, at):
        return contactability(customer, purpose, ContactChannel.PHONE, at).reasons

    assert reasons(wib, Purpose.OFFER, TUESDAY_10) == ()
    assert reasons(wib, Purpose.OFFER, TUESDAY_1730) == ()
    assert reasons(wita, Purpose.OFFER, TUESDAY_1730) == (Reason.OUTSIDE_WINDOW,)  # 18:30 WITA
    assert reasons(wib, Purpose.OFFER, TUESDAY_1930) == (Reason.OUTSIDE_WINDOW,)
    assert reasons(wib, Purpose.COLLECTION, TUESDAY_1930) == ()
    assert reasons(wib, Purpose.COLLECTION, SUNDAY_10) == (Reason.OUTSIDE_WINDOW,)
    assert reasons(wib, Purpose.COLLECTION, INDEPENDENCE_DAY_10) == (Reason.OUTSIDE_WINDOW,)
    assert reasons(wib, Purpose.SERVICE, SUNDAY_10) == ()
    assert reasons(wib, Purpose.SERVICE, INDEPENDENCE_DAY_10) == ()
    assert reasons(wib, Purpose.SERVICE, MONDAY_0630) == (Reason.OUTSIDE_WINDOW,)
    assert reasons(wib, Purpose.STAFF, MONDAY_0630) == ()


def test_outside_the_window_is_a_wait_not_a_refusal(people):
    waiting = contactability(people["granted"], Purpose.OFFER, ContactChannel.PHONE, TUESDAY_1930)
    assert waiting.must_wait and not waiting.refused and not waiting.allowed
    assert waiting.next_window_at == datetime(2026, 11, 25, 8, 0, tzinfo=WIB).astimezone(UTC)
    refused = contactability(people["withdrawn"], Purpose.OFFER, ContactChannel.PHONE, TUESDAY_1930)
    assert refused.refused and not refused.must_wait
    assert refused.reasons == (Reason.NO_CONSENT, Reason.OUTSIDE_WINDOW)


def test_windows_are_a_deployment_setting(people, settings):
    settings.CONTACT_WINDOWS = {
        **settings.CONTACT_WINDOWS,
        "OFFER": {"weekdays": [6], "hours": ["09:00", "10:30"], "holidays": False},
    }
    assert contactability(people["granted"], Purpose.OFFER, ContactChannel.PHONE, SUNDAY_10).allowed


def test_every_reason_has_an_indonesian_label():
    assert reason_label(Reason.NO_CONSENT) == "Persetujuan pemasaran tidak diberikan"
    assert reason_label("SENSITIVE_CASE") == "Ada kasus sensitif yang masih terbuka"


def test_unknown_purpose_or_channel_is_a_programming_error(people):
    with pytest.raises(ValueError):
        contactability(people["granted"], "GOSSIP", ContactChannel.PHONE)
    with pytest.raises(ValueError):
        contactability(people["granted"], Purpose.OFFER, "PIGEON")


def test_a_blocker_code_is_registered_once():
    with pytest.raises(DuplicateRegistration):
        register_contact_blocker(
            "SENSITIVE_CASE", "x", purposes=[Purpose.OFFER], condition=lambda: None
        )
    with pytest.raises(DuplicateRegistration):  # nor under one of consent's own reasons
        register_contact_blocker(
            "NO_CONSENT", "x", purposes=[Purpose.OFFER], condition=lambda: None
        )


def test_do_not_contact_is_kept_by_service_staff_never_by_marketing(people, make_user, branch_a):
    from amanah.iam.models import RolePermission

    RolePermission.objects.create(role_id="MARKETING", permission="consent.change")
    marketing = make_user(R.MARKETING, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        suppression_add(actor=marketing, customer=people["granted"], reason="tidak boleh")
    assert not Suppression.objects.filter(customer=people["granted"]).exists()


def test_do_not_contact_needs_a_reason(people, agent):
    with pytest.raises(ServiceError) as refused:
        suppression_add(actor=agent, customer=people["granted"], reason=" ")
    assert refused.value.code == "reason_required"


def test_answered_once_asks_each_question_once_inside_the_block(system, branch_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amanah.consent.contract import answered_once

    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Sekali Saja", home_branch=branch_a)
    )
    offer, service = (Purpose.OFFER, ContactChannel.PHONE), (Purpose.SERVICE, ContactChannel.SMS)
    with CaptureQueriesContext(connection) as outside:
        contactability(customer, *offer)
        contactability(customer, *offer)
    with answered_once(), CaptureQueriesContext(connection) as inside:
        first = contactability(customer, *offer)
        assert contactability(customer, *offer) is first
        contactability(customer, *service)  # another question is asked
        contactability(customer, *offer, at=TUESDAY_10)  # with a moment: never kept
    assert len(inside) > len(outside) == 2
    with CaptureQueriesContext(connection) as after:
        assert contactability(customer, *offer) == first
    assert len(after) == 1  # forgotten when the block ended


def test_do_not_contact_is_announced_once_in_its_transaction(people, agent):
    """``consent.suppression_added``: emitted by ``suppression_add`` when the customer goes on
    the list (not when it is already there); a handler that fails undoes the addition."""
    from amanah.consent.contract import SUPPRESSION_ADDED
    from amanah.core import registry
    from amanah.core.events import EventHandler

    seen = []

    def probe(*, actor, customer, suppression):
        seen.append((customer.pk, suppression.pk))

    key = f"{SUPPRESSION_ADDED}:probe"
    with registry.event_handlers.temporarily(key, EventHandler(SUPPRESSION_ADDED, probe)):
        first = suppression_add(actor=agent, customer=people["granted"], reason="minta berhenti")
        suppression_add(actor=agent, customer=people["granted"], reason="minta berhenti lagi")
    assert seen == [(people["granted"].pk, first.pk)]

    def boom(*, actor, customer, suppression):
        raise RuntimeError("handler failed")

    failing = EventHandler(SUPPRESSION_ADDED, boom)
    with registry.event_handlers.temporarily(key, failing), pytest.raises(RuntimeError):
        suppression_add(actor=agent, customer=people["no record"], reason="minta berhenti")
    assert not Suppression.objects.filter(customer=people["no record"]).exists()
