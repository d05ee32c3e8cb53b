"""The one rule for the channel of a customer message (``messaging.choosing``): the customer's
preference for the purpose first when the sender has it and the customer an address there,
then the sender's own order; no database (the preference is given, as a batch reads it)."""

from __future__ import annotations

from types import SimpleNamespace

from amanah.consent.testing import withdraw_offers_on
from amanah.messaging.choosing import channel_order, customer_channel

BOTH = SimpleNamespace(email="a@contoh.id", phone_e164="+6281234567890")
PHONE_ONLY = SimpleNamespace(email="", phone_e164="+6281234567890")
NOTHING = SimpleNamespace(email="", phone_e164="")


def test_the_preference_first_then_the_senders_order():
    assert customer_channel(BOTH, "SERVICE", preferred="") == "SMS"  # the default order
    assert customer_channel(BOTH, "SERVICE", preferred="EMAIL") == "EMAIL"
    assert channel_order(BOTH, "SERVICE", ("EMAIL", "WHATSAPP"), preferred="WHATSAPP") == [
        "WHATSAPP",
        "EMAIL",
    ]


def test_a_preference_that_cannot_be_served_leaves_the_senders_order():
    # No address there, or a channel this sender does not use: contactability refuses the
    # fallback as NOT_PREFERRED later — the rule does not pretend otherwise.
    assert customer_channel(PHONE_ONLY, "SERVICE", preferred="EMAIL") == "SMS"
    assert channel_order(BOTH, "OFFER", ("EMAIL",), preferred="SMS") == ["EMAIL"]
    assert customer_channel(NOTHING, "SERVICE", preferred="SMS") is None


def _row(reasons: dict, *, email="a@contoh.id", phone="+6281234567890") -> dict:
    from amanah.messaging.choosing import _REASON

    return {
        "pk": 1,
        "home_branch__timezone": "Asia/Jakarta",
        "email": email,
        "phone_e164": phone,
        **{_REASON + c: r for c, r in reasons.items()},
    }


def test_the_set_form_takes_the_first_channel_of_the_order_that_contactability_allows():
    from amanah.messaging.choosing import _choose

    order = ("EMAIL", "WHATSAPP")
    allowed = {"EMAIL": "", "WHATSAPP": ""}
    assert _choose(_row(allowed), "OFFER", order, "WHATSAPP").channel == "WHATSAPP"
    assert _choose(_row(allowed), "OFFER", order, "").channel == "EMAIL"
    withdrawn = {"EMAIL": "", "WHATSAPP": "CHANNEL_WITHDRAWN"}
    assert _choose(_row(withdrawn), "OFFER", order, "WHATSAPP").channel == "EMAIL"
    assert _choose(_row(allowed, email=""), "OFFER", order, "EMAIL").channel == "WHATSAPP"


def test_the_set_form_keeps_the_reason_when_nobody_is_reachable():
    from amanah.messaging.choosing import NO_ADDRESS, _choose

    order = ("EMAIL", "WHATSAPP")
    refused = {"EMAIL": "NOT_PREFERRED", "WHATSAPP": "DO_NOT_CONTACT"}
    choice = _choose(_row(refused), "OFFER", order, "WHATSAPP")
    assert (choice.channel, choice.reason) == ("", "DO_NOT_CONTACT")  # the preferred one's
    waits = {"EMAIL": "OUTSIDE_WINDOW", "WHATSAPP": "CHANNEL_WITHDRAWN"}
    assert _choose(_row(waits), "OFFER", order, "WHATSAPP").reason == "OUTSIDE_WINDOW"
    nowhere = _row({"EMAIL": "", "WHATSAPP": ""}, email="", phone="")
    assert _choose(nowhere, "OFFER", order, "").reason == NO_ADDRESS
    refused_nowhere = _row({"EMAIL": "NO_CONSENT", "WHATSAPP": "NO_CONSENT"}, email="", phone="")
    assert _choose(refused_nowhere, "OFFER", order, "").reason == "NO_CONSENT"


def _person(system, branch, n, *, email=True, phone=True, consent=True):
    from amanah.consent.testing import grant_marketing
    from amanah.customers.services import CustomerInput, customer_create

    customer = customer_create(
        actor=system,
        data=CustomerInput(
            full_name=f"Pilih Kanal {n}",
            home_branch=branch,
            phone=f"08126300{n:04d}" if phone else "",
            email=f"pilih{n}@contoh.co.id" if email else "",
        ),
    )
    if consent:
        grant_marketing([customer])
    return customer


def test_the_counting_form_counts_what_the_set_form_chooses(system, make_user, branch_a):
    """``choice_counts`` (one grouped statement) and ``channel_choices`` (per customer) agree
    on a mixed population: preferences on and off the sender's channels, withdrawn channels,
    no consent, missing addresses — with and without a moment (the window), one candidate or
    several."""
    from collections import Counter
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from amanah.consent.contract import contact_preference_set
    from amanah.core.roles import RoleKey as R
    from amanah.customers.models import Customer
    from amanah.messaging.choosing import channel_choices, choice_counts

    agent = make_user(R.AGENT, branches=[branch_a])
    people = [_person(system, branch_a, n) for n in range(6)]
    people += [
        _person(system, branch_a, 6, email=False),
        _person(system, branch_a, 7, phone=False),
        _person(system, branch_a, 8, email=False, phone=False),
        _person(system, branch_a, 9, consent=False),
    ]
    for person, channel in zip(people, ("WHATSAPP", "EMAIL", "SMS", "WHATSAPP"), strict=False):
        contact_preference_set(actor=agent, customer=person, purpose="OFFER", channel=channel)
    for person, channel in ((people[3], "WHATSAPP"), (people[4], "EMAIL"), (people[7], "EMAIL")):
        withdraw_offers_on(agent, person, channel)
    everyone = Customer.objects.filter(pk__in=[p.pk for p in people])
    saturday_night = datetime(2026, 11, 28, 21, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    for candidates in (("EMAIL", "WHATSAPP"), ("WHATSAPP",), ("SMS", "EMAIL", "WHATSAPP")):
        for at in (None, saturday_night):
            chosen = channel_choices(everyone, "OFFER", candidates, at)
            expected = Counter((c.channel, c.reason) for c in chosen.values())
            assert choice_counts(everyone, "OFFER", candidates, at) == expected
    # Not vacuous: the population is reached on several channels and refused for several
    # reasons.
    counts = choice_counts(everyone, "OFFER", ("EMAIL", "WHATSAPP"))
    assert {ch for ch, _r in counts if ch} == {"EMAIL", "WHATSAPP"}
    assert {r for ch, r in counts if not ch} >= {"NO_ADDRESS", "NO_CONSENT", "NOT_PREFERRED"}
    waiting = choice_counts(everyone, "OFFER", ("EMAIL", "WHATSAPP"), saturday_night)
    assert waiting[("", "OUTSIDE_WINDOW")] > 0
