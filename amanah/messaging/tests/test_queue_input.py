"""Bad input to the queueing services: a clear error with a code, nothing written."""

import pytest

from amanah.audit.models import AuditLog
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.models import Message

TEXT = Rendered(subject="S", text="T")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"channel": "FAX"}, "unknown_channel"),
        ({"purpose": "GOSSIP"}, "unknown_purpose"),
        ({"source": "NOWHERE"}, "unknown_source"),
        ({"channel": "IN_APP"}, "wrong_recipient"),  # in-app is for staff only
        ({"purpose": "STAFF"}, "wrong_recipient"),
        ({"channel": "PUSH"}, "channel_unavailable"),
        ({"address": ""}, "no_address"),
    ],
)
def test_bad_queue_input_is_refused_and_writes_nothing(system, make_customers, change, code):
    (customer,) = make_customers(1)
    marks = (Message.objects.count(), AuditLog.objects.count())
    kwargs = {
        "actor": system,
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "rendered": TEXT,
        "source": "CASE",
        "source_id": "K-1",
        "customer": customer,
        **change,
    }
    with pytest.raises(ServiceError) as refused:
        message_queue(**kwargs)
    assert refused.value.code == code
    assert (Message.objects.count(), AuditLog.objects.count()) == marks


def test_a_message_has_exactly_one_recipient(system, make_customers, make_user, branch_a):
    (customer,) = make_customers(1)
    user = make_user(R.AGENT, branches=[branch_a])
    for recipients in ({}, {"customer": customer, "staff_user": user}):
        with pytest.raises(ServiceError) as refused:
            message_queue(
                actor=system,
                channel="EMAIL",
                purpose="SERVICE",
                rendered=TEXT,
                source="CASE",
                source_id="K-1",
                **recipients,
            )
        assert refused.value.code == "wrong_recipient"


def test_messages_follow_a_merged_customer_except_keys_the_survivor_has(system, make_customers):
    from amanah.messaging.services import messages_move_to_survivor

    survivor, absorbed = make_customers(2)

    def queue(customer, step):
        return message_queue(
            actor=system,
            channel="EMAIL",
            purpose="SERVICE",
            rendered=TEXT,
            source="CASE",
            source_id="K-7",
            step=step,
            customer=customer,
        )

    queue(survivor, "receipt")
    clash, moves = queue(absorbed, "receipt"), queue(absorbed, "update")
    assert messages_move_to_survivor(absorbed, survivor) == 1
    assert Message.objects.get(pk=moves.pk).customer_id == survivor.pk
    assert Message.objects.get(pk=clash.pk).customer_id == absorbed.pk


def test_a_sealed_address_opens_only_unchanged_and_never_shows_the_address(settings):
    import base64

    import pytest
    from cryptography.exceptions import InvalidTag

    from amanah.messaging import addresses

    sealed = addresses.seal("budi@contoh.co.id")
    assert "budi" not in sealed and addresses.seal("budi@contoh.co.id") != sealed  # fresh nonce
    assert addresses.open_sealed(sealed) == "budi@contoh.co.id"
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        addresses.open_sealed(base64.urlsafe_b64encode(bytes(raw)).decode())
    settings.MESSAGING_ADDRESS_KEY = "kunci lain"
    with pytest.raises(InvalidTag):
        addresses.open_sealed(sealed)
