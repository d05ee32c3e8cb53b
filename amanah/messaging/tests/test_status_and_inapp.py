"""Provider callbacks merged whatever their order, duplicates and unknowns; IN_APP to staff."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.core.roles import RoleKey as R
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, message_queue, message_status_apply
from amanah.messaging.models import Message, MessageEvent, MessageStatus
from amanah.messaging.providers.base import StatusUpdate
from amanah.messaging.services import merged_status
from amanah.messaging.tests.conftest import TUESDAY_10
from amanah.notifications.models import Notification

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
STATES = ["SENT", "DELIVERED", "READ", "FAILED", "BOUNCED"]


def _sent_message(system, customer, provider_id: str) -> Message:
    message = message_queue(
        actor=system,
        channel="EMAIL",
        purpose="SERVICE",
        rendered=Rendered(subject="S", text="T"),
        source="CASE",
        source_id=provider_id,
        customer=customer,
        at=TUESDAY_10,
    )
    Message.objects.filter(pk=message.pk).update(
        status="SENT", provider="smtp", provider_message_id=provider_id
    )
    return message


def _update(provider_id, n, status, *, provider="smtp"):
    return StatusUpdate(
        provider=provider,
        provider_message_id=provider_id,
        status=status,
        at=T0 + timedelta(minutes=n),
        event_id=f"{provider_id}-{n}-{status}",
    )


def test_delivered_after_failed_does_not_resurrect_and_duplicates_are_no_ops(
    system, make_customers
):
    (customer,) = make_customers(1)
    message = _sent_message(system, customer, "p-1")
    failed = _update("p-1", 2, "FAILED")
    assert message_status_apply(failed) is True
    assert message_status_apply(failed) is False
    assert message_status_apply(_update("p-1", 1, "DELIVERED")) is True  # delivered_at only
    message.refresh_from_db()
    assert message.status == "FAILED"
    assert message.delivered_at == T0 + timedelta(minutes=1)
    assert MessageEvent.objects.filter(message=message).count() == 2


def test_an_unknown_provider_id_is_logged_without_ids_and_changes_no_message(db, caplog):
    with caplog.at_level("WARNING"):
        assert message_status_apply(_update("nobody-knows-me", 1, "DELIVERED")) is False
    assert "unknown message" in caplog.text
    assert "nobody-knows-me" not in caplog.text
    (parked,) = MessageEvent.objects.all()
    assert parked.message_id is None  # parked, in case its send has not committed yet


def test_a_callback_that_overtakes_its_send_is_adopted_when_the_batch_commits(
    system, make_user, branch_a
):
    user = make_user(R.AGENT, branches=[branch_a])
    message = message_queue(
        actor=system,
        channel="IN_APP",
        purpose="STAFF",
        rendered=Rendered(subject="Persetujuan menunggu", text="Ada 1 penggabungan."),
        source="APPROVAL",
        source_id="M-1",
        staff_user=user,
    )
    early = StatusUpdate(
        provider="in-app",
        provider_message_id=str(message.pk),  # the in-app provider's id is the outbox id
        status="READ",
        at=T0,
        event_id="early-read",
    )
    assert message_status_apply(early) is False
    assert dispatch.dispatch_batch("IN_APP") == {"claimed": 1, "sent": 1, "early_callbacks": 1}
    message.refresh_from_db()
    assert (message.status, message.read_at) == ("READ", T0)
    assert message_status_apply(early) is False  # and it is still recorded once
    assert MessageEvent.objects.filter(message=message).count() == 1


events = st.lists(
    st.tuples(st.integers(min_value=0, max_value=5), st.sampled_from(STATES)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=events, data=st.data())
def test_the_merged_status_does_not_depend_on_order_or_repetition(
    system, make_customers, history, data
):
    """Any arrival order, with any callback repeated, ends in the rule's status and times."""
    (customer,) = make_customers(1)
    provider_id = f"p-{customer.pk}"
    message = _sent_message(system, customer, provider_id)
    arrivals = data.draw(st.permutations(history + data.draw(st.lists(st.sampled_from(history)))))
    for n, status in arrivals:
        message_status_apply(_update(provider_id, n, status))
    message.refresh_from_db()
    distinct = set(history)
    assert message.status == merged_status({s for _n, s in distinct})
    delivered = [n for n, s in distinct if s in ("DELIVERED", "READ")]
    read = [n for n, s in distinct if s == "READ"]
    assert message.delivered_at == (T0 + timedelta(minutes=min(delivered)) if delivered else None)
    assert message.read_at == (T0 + timedelta(minutes=min(read)) if read else None)
    assert MessageEvent.objects.filter(message=message).count() == len(distinct)


def test_the_rule_ranks_failures_above_every_success():
    assert merged_status(set()) == "SENT"
    assert merged_status({"READ", "DELIVERED"}) == "READ"
    assert merged_status({"READ", "FAILED"}) == "FAILED"
    assert merged_status({"FAILED", "BOUNCED", "DELIVERED"}) == "BOUNCED"


def test_in_app_messages_reach_the_staff_inbox_once(system, make_user, branch_a):
    user = make_user(R.AGENT, branches=[branch_a])
    message = message_queue(
        actor=system,
        channel="IN_APP",
        purpose="STAFF",
        rendered=Rendered(subject="SLA hampir habis", text="Kasus K-1 perlu ditangani."),
        source="SLA",
        source_id="K-1",
        step="warning",
        staff_user=user,
    )
    assert message.status == MessageStatus.QUEUED
    counts = dispatch.dispatch_batch("IN_APP")
    assert counts == {"claimed": 1, "sent": 1}
    (notice,) = Notification.objects.filter(user=user)
    assert (notice.title, notice.body, notice.read_at) == (
        "SLA hampir habis",
        "Kasus K-1 perlu ditangani.",
        None,
    )
    # A re-send with the same outbox id (a crash after the send) adds nothing.
    from amanah.messaging.providers import provider_for

    message.refresh_from_db()
    provider_for("IN_APP").send(dispatch._outgoing(message))
    assert Notification.objects.filter(user=user).count() == 1


def test_an_inbound_message_is_audited_without_its_number_or_text(db):
    from amanah.audit.models import AuditLog
    from amanah.messaging.contract import inbound_receive
    from amanah.messaging.providers.base import InboundMessage

    inbound_receive(
        InboundMessage(
            provider="whatsapp-cloud",
            channel="WHATSAPP",
            from_address="+6281234567890",
            text="STOP",
            at=T0,
            provider_message_id="wamid.1",
        )
    )
    log = AuditLog.objects.filter(action="RECEIVE_MESSAGE").latest("id")
    assert log.meta == {
        "provider": "whatsapp-cloud",
        "channel": "WHATSAPP",
        "count": 1,
        "stop": True,
        "withdrawn": 0,  # nobody has that number here
        "customers": 0,  # … so no customer's service window opened
    }
    assert "+6281234567890" not in str(log.meta) and "wamid.1" not in str(log.meta)
