"""A channel this server has not configured (issue 50.3): its messages fail at once with a
reason on the outbox row, a receipt that cannot go is noted on its case ("Tanda terima TIDAK
terkirim"), the reply panel does not offer the channel, and a queued reply is called queued
("diantrekan"), never sent."""

from __future__ import annotations

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases.models import CaseActivity
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.messaging import case_replies, dispatch, selectors
from amanah.messaging.channels import Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import Message, MessageSource, MessageStatus
from amanah.messaging.models.outbox import ERROR_LABELS
from amanah.messaging.queueing import message_queue, message_queue_many
from amanah.messaging.tests import test_case_reply as tr
from amanah.messaging.tests import test_notices as tn
from amanah.messaging.tests.conftest import TUESDAY_10

# The case-reply and notices tests' fixtures and helpers.
agent, customer, case, at, TEXT = tr.agent, tr.customer, tr.case, tr.at, tr.TEXT
person, seeded, jobs_before = tn.person, tn.seeded, tn.jobs_before


def _without(settings, *channels: str) -> None:
    settings.MESSAGING_PROVIDERS = {
        channel: config
        for channel, config in settings.MESSAGING_PROVIDERS.items()
        if channel not in channels
    }


def test_a_message_on_an_unconfigured_channel_fails_at_once_with_its_reason(
    settings, customer, system
):
    _without(settings, "WHATSAPP")
    message = message_queue(
        actor=system,
        channel="WHATSAPP",
        purpose=Purpose.SERVICE,
        rendered=Rendered(text="Pengaduan Anda kami terima."),
        source=MessageSource.MANUAL,
        source_id="uji-kanal",
        customer=customer,
        at=TUESDAY_10,
    )
    assert message.status == MessageStatus.FAILED
    assert message.last_error_code == "channel_not_configured"
    assert "belum dikonfigurasi" in str(ERROR_LABELS[message.last_error_code])
    audit = AuditLog.objects.filter(action="QUEUE_MESSAGES").last()
    assert audit.meta["failed"] == 1 and audit.meta["reason"] == "channel_not_configured"
    assert dispatch.due_channels(TUESDAY_10) == []  # nothing waits for ever


def test_the_dispatcher_fails_what_the_many_form_queued_on_a_channel_without_an_adapter(
    settings, make_customers, system
):
    customers = make_customers(3)
    counts = message_queue_many(
        actor=system,
        customers=customers[0].__class__.objects.filter(pk__in=[c.pk for c in customers]),
        channel="EMAIL",
        purpose=Purpose.SERVICE,
        source=MessageSource.MANUAL,
        source_id="uji-banyak",
        rendered=Rendered(subject="Info", text="Layanan kami pulih."),
        at=TUESDAY_10,
    )
    assert counts["queued"] == 3
    _without(settings, "EMAIL")  # e.g. the SMTP host removed from the environment
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 3, "failed": 3}
    rows = Message.objects.filter(source_id="uji-banyak")
    assert {(m.status, m.last_error_code) for m in rows} == {
        (MessageStatus.FAILED, "channel_not_configured")
    }
    audit = AuditLog.objects.filter(action="DISPATCH_MESSAGES").last()
    assert audit.object_id == "EMAIL" and audit.meta["failed"] == 3
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 0}


def test_a_receipt_no_configured_channel_can_carry_is_noted_on_the_case_at_once(
    settings, seeded, agent, person, django_capture_on_commit_callbacks
):
    _without(settings, "EMAIL", "WHATSAPP")
    case = tn._create_case(agent, person(), django_capture_on_commit_callbacks)
    with at(TUESDAY_10):
        tn.run_jobs()
    (line,) = CaseActivity.objects.filter(case=case, activity_type="NOTICE")
    assert line.meta == {"notice": "receipt", "reason": "not_configured"}
    assert "TIDAK terkirim" in line.message and "belum dikonfigurasi" in line.message
    assert not Message.objects.filter(source="CASE", source_id=str(case.pk)).exists()


def test_a_receipt_goes_by_a_configured_channel_when_email_is_not(
    settings, seeded, agent, person, django_capture_on_commit_callbacks
):
    _without(settings, "EMAIL")
    case = tn._create_case(agent, person(), django_capture_on_commit_callbacks)
    with at(TUESDAY_10):
        tn.run_jobs()
    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert (message.channel, message.status) == ("WHATSAPP", MessageStatus.QUEUED)
    assert not CaseActivity.objects.filter(case=case, activity_type="NOTICE").exists()


def test_the_reply_panel_does_not_offer_a_channel_the_server_has_not_configured(
    settings, case, agent, customer
):
    _without(settings, "SMS")
    with at(TUESDAY_10):
        verdicts = {v.channel: v.code for v in case_replies.channel_verdicts(customer)}
        assert verdicts == {"EMAIL": "", "WHATSAPP": "", "SMS": "not_configured"}
        with pytest.raises(ServiceError) as refused:
            case_replies.case_reply(actor=agent, case_id=case.pk, channel="SMS", text=TEXT)
    assert refused.value.code == "not_configured"
    assert tr._replies(case) == []
    page = sign_in(Client(), agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-channel="SMS" data-code="not_configured"' in page
    assert '<option value="SMS">' not in page


@pytest.mark.parametrize("channel", ["EMAIL", "WHATSAPP", "SMS"])
def test_the_agent_is_told_the_reply_was_queued_never_that_it_was_sent(case, agent, channel):
    client = sign_in(Client(), agent)
    with at(TUESDAY_10):
        response = client.post(
            f"/messaging/cases/{case.pk}/reply/", {"channel": channel, "text": TEXT}, follow=True
        )
    page = response.content.decode()
    label = {"EMAIL": "Email", "WHATSAPP": "WhatsApp", "SMS": "SMS"}[channel]
    assert f"Balasan lewat {label} diantrekan" in page
    assert "Balasan dikirim" not in page
    (message,) = tr._replies(case)
    assert message.status == MessageStatus.QUEUED
    tab = selectors.customer_messages(actor=agent, customer=case.customer)
    (shown,) = [m for m in tab.object_list if m.pk == message.pk]
    assert shown.get_status_display() == "Diantrekan"
