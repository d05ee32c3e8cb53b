"""A follow-up WhatsApp goes through the messaging hub (template ``followup.reminder``,
COLLECTION), asks the published contact rule, and is never sent when refused: the log line
and the agent's page show the reason."""

from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.conftest import sign_in
from amanah.consent.contactability import ContactBlocker
from amanah.core import registry
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.followup import services
from amanah.followup.models import FollowUpLog
from amanah.followup.testing import approve_reminder_template
from amanah.messaging.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]


@pytest.fixture
def desk(make_desk, make_customer, enrol, make_user, settings):
    settings.CONTACT_WINDOWS = {}  # the wall clock decides nothing here (see the wait test)
    approve_reminder_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))
    agents = make_desk(2)
    member = enrol(make_customer(phone="081234567001"), at=timezone.now())
    agent = agents[0].user
    agent.active_role = "AGENT"
    return agent, member


def _whatsapp(agent, member, note=""):
    return services.followup_log_add(actor=agent, member=member, kind="WHATSAPP", note=note)


def test_a_whatsapp_is_queued_in_the_hub_once_per_log_line(desk):
    agent, member = desk
    log = _whatsapp(agent, member, note="Pengingat setoran awal")
    message = Message.objects.get(pk=log.message_id)
    assert (message.channel, message.purpose, message.source, message.status) == (
        "WHATSAPP", "COLLECTION", "MANUAL", "QUEUED",
    )  # fmt: skip
    assert message.customer_id == member.customer_id and message.source_id == f"followup:{log.pk}"
    assert message.template_key == "followup.reminder" and "Rahmat" in message.text
    assert log.not_sent_reason == ""
    window_end = member.window_end
    member.refresh_from_db()
    assert member.last_contact_at == log.at
    assert member.window_end == window_end  # a contact never extends the window
    assert _whatsapp(agent, member).message_id != log.message_id  # a new line, a new message


def test_a_refused_contact_is_kept_with_its_reason_and_never_sent(desk):
    agent, member = desk
    blocker = ContactBlocker(
        "TEST_BLOCK",
        "Diblokir untuk uji",
        frozenset({"COLLECTION"}),
        lambda: Exists(Customer.objects.filter(pk=OuterRef("pk"), full_name__startswith="Rahmat")),
    )
    with registry.contact_blockers.temporarily("TEST_BLOCK", blocker):
        log = _whatsapp(agent, member)
        page = sign_in(Client(), agent).get(reverse("followup:my")).content.decode()
    assert log.not_sent_reason == "TEST_BLOCK"
    message = Message.objects.get(pk=log.message_id)
    assert message.status == "CANCELLED" and message.cancel_reason == "TEST_BLOCK"
    member.refresh_from_db()
    assert member.last_contact_at is None  # no contact was made
    assert "tidak dapat dikirim: Diblokir untuk uji" in page  # before anyone tries
    assert "tidak dikirim: Diblokir untuk uji" in page  # and on the log line
    assert 'value="WHATSAPP"' not in page  # the option is not offered


def test_outside_the_collection_window_the_message_waits(desk, settings):
    agent, member = desk
    local = timezone.localtime()
    start = (local + timedelta(hours=2)).replace(minute=0)
    if start.date() != local.date() or start.hour >= 23:
        start = (local - timedelta(hours=3)).replace(minute=0)
    settings.CONTACT_WINDOWS = {
        "COLLECTION": {"weekdays": list(range(7)), "holidays": False,
                       "hours": [f"{start.hour:02d}:00", f"{start.hour + 1:02d}:00"]},
    }  # fmt: skip
    page = sign_in(Client(), agent).get(reverse("followup:my")).content.decode()
    assert "Di luar jam kontak" in page and "pesan menunggu" in page
    log = _whatsapp(agent, member)
    message = Message.objects.get(pk=log.message_id)
    assert message.status == "QUEUED" and message.next_attempt_at > timezone.now()
    assert log.not_sent_reason == ""


@pytest.mark.parametrize(
    ("phone", "approved", "code"),
    [("", True, "no_address"), ("081234567002", False, "no_template")],
)
def test_no_number_or_no_approved_template_sends_nothing(
    make_desk, make_customer, enrol, make_user, phone, approved, code
):
    if approved:
        approve_reminder_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))
    agents = make_desk(1)
    member = enrol(make_customer(phone=phone), at=timezone.now())
    agent = agents[0].user
    agent.active_role = "AGENT"
    response = sign_in(Client(), agent).post(
        reverse("followup:log_add", kwargs={"member_id": member.pk}), {"kind": "WHATSAPP"}
    )
    assert response.status_code == 303
    log = FollowUpLog.objects.get(member=member)
    assert (log.not_sent_reason, log.message_id) == (code, None)
    assert not Message.objects.filter(customer=member.customer).exists()


def test_the_new_agent_sees_the_whatsapp_history(desk):
    from amanah.followup.sweep import rotation_sweep

    agent, member = desk
    _whatsapp(agent, member, note="Sudah dikirim pengingat")
    rotation_sweep(now=member.window_end)
    member.refresh_from_db()
    page = sign_in(Client(), member.current_agent.user).get(reverse("followup:my"))
    body = page.content.decode()
    assert "Sudah dikirim pengingat" in body and "Agen 1" in body
    assert "1 → 2" in body  # the agents so far
