"""The one rule for the channel of a customer message (``messaging.choosing``): the customer's
preference for the purpose first when the sender has it and the customer an address there,
then the sender's own order; no database (the preference is given, as a batch reads it)."""

from __future__ import annotations

from types import SimpleNamespace

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
