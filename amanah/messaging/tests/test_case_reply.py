"""A reply to the customer from the case page (issue 16): through the hub with the template
``case.reply``, contact rule first, on the Komunikasi tab, a REPLY line on the case — apart
from an internal note, which is never sent."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity
from amanah.conftest import sign_in
from amanah.consent.services import suppression_add
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam.models import RolePermission
from amanah.messaging import case_replies, dispatch, selectors
from amanah.messaging.models import Message, TemplateVersion
from amanah.messaging.template_defaults import templates_install_defaults
from amanah.messaging.tests.conftest import TUESDAY_10, TUESDAY_2230

TEXT = "Dana Anda sedang kami telusuri bersama bank penerima; kami kabari besok."


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Budi Santoso Sitorus",
            home_branch=branch_a,
            email="budi.santoso@contoh.co.id",
            phone="082160003003",
        ),
    )


@pytest.fixture
def case(agent, customer):
    templates_install_defaults()
    with at(TUESDAY_10):
        return cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer ke rekening lain gagal tetapi saldo terpotong.",
            ),
        )


def _replies(case) -> list[Message]:
    return list(
        Message.objects.filter(source="CASE", source_id=str(case.pk), step__startswith="reply:")
    )


def test_a_reply_goes_through_the_hub_reaches_the_mail_server_and_is_logged(
    case, agent, customer, smtp_server
):
    client = sign_in(Client(), agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="reply-form"' in page and "Catatan internal" in page

    with at(TUESDAY_10):
        response = client.post(
            f"/messaging/cases/{case.pk}/reply/", {"channel": "EMAIL", "text": TEXT}
        )
    assert response.status_code == 303 and response["Location"] == f"/cases/{case.pk}/"

    (message,) = _replies(case)
    assert message.template_key == "case.reply" and message.purpose == "SERVICE"
    assert TEXT in message.text and case.case_no in message.subject
    line = CaseActivity.objects.get(case=case, activity_type="REPLY")
    assert line.message == TEXT and line.meta["channel"] == "EMAIL"
    assert line.meta["message"] == str(message.pk)
    assert Case.objects.get(pk=case.pk).first_responded_at is not None
    audit = AuditLog.objects.filter(object_id=str(case.pk), action="UPDATE_CASE").last()
    assert audit.meta == {"activity": "REPLY", "channel": "EMAIL", "length": len(TEXT)}
    assert TEXT not in str(audit.meta)

    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["sent"] == 1
    (mail,) = smtp_server.mailbox.values()
    assert smtp_server.recipients[mail["Message-ID"]] == [customer.email]
    assert TEXT in mail.get_body(("plain",)).get_content()

    # On the customer's Komunikasi tab, and as a reply on the case's log.
    tab = selectors.customer_messages(actor=agent, customer=customer)
    assert message.pk in [m.pk for m in tab.object_list]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-type="REPLY"' in page and TEXT in page
    assert "(ke nasabah lewat Email)" in page  # the channel by its label


def test_an_internal_note_is_never_sent(case, agent):
    client = sign_in(Client(), agent)
    response = client.post(f"/cases/{case.pk}/note/", {"message": "Cek ke unit transfer."})
    assert response.status_code == 303
    assert _replies(case) == []
    assert CaseActivity.objects.filter(case=case, activity_type="NOTE").count() == 1


@contextmanager
def service_blocked():
    """A contact blocker for SERVICE messages (none ships: a complainant is always told about
    their complaint), so that the rule's refusal can be seen."""
    from django.db.models import Exists, OuterRef

    from amanah.consent.contactability import ContactBlocker
    from amanah.core import registry
    from amanah.customers.models import Customer

    blocker = ContactBlocker(
        "TEST_BLOCKED",
        "diblokir untuk uji",
        frozenset({"SERVICE"}),
        lambda: Exists(Customer.objects.filter(pk=OuterRef("pk"))),
    )
    with registry.contact_blockers.temporarily("TEST_BLOCKED", blocker):
        yield


def test_do_not_contact_still_lets_the_complainant_hear_about_the_complaint(
    case, agent, customer, system
):
    suppression_add(actor=system, customer=customer, reason="Nasabah minta tidak dihubungi")
    with at(TUESDAY_10):
        message = case_replies.case_reply(actor=agent, case_id=case.pk, channel="EMAIL", text=TEXT)
    assert message.status == "QUEUED"


def test_the_contact_rule_is_asked_first_and_a_refusal_writes_nothing(case, agent):
    client = sign_in(Client(), agent)
    with service_blocked():
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert 'data-testid="reply-unavailable"' in page and "diblokir untuk uji" in page
        before = AuditLog.objects.count()
        with at(TUESDAY_10):
            response = client.post(
                f"/messaging/cases/{case.pk}/reply/",
                {"channel": "EMAIL", "text": TEXT},
                follow=True,
            )
    assert "tidak dapat dikirim" in response.content.decode()
    assert _replies(case) == []
    assert not CaseActivity.objects.filter(case=case, activity_type="REPLY").exists()
    assert AuditLog.objects.count() == before


def test_a_customer_without_an_address_on_the_channel_is_not_offered_it(case, agent, customer):
    customer.email = ""
    customer.save(update_fields=["email"])
    with at(TUESDAY_10):  # inside the contact window: WhatsApp goes now, not "wait"
        verdicts = {v.channel: v.code for v in case_replies.channel_verdicts(customer)}
        assert verdicts == {"EMAIL": "no_address", "WHATSAPP": "", "SMS": ""}
        with pytest.raises(ServiceError) as refused:
            case_replies.case_reply(actor=agent, case_id=case.pk, channel="EMAIL", text=TEXT)
    assert refused.value.code == "no_address"


def test_outside_the_contact_window_the_reply_waits_for_it(case, agent):
    with at(TUESDAY_2230):
        message = case_replies.case_reply(actor=agent, case_id=case.pk, channel="EMAIL", text=TEXT)
    assert message.status == "QUEUED" and message.next_attempt_at > TUESDAY_2230


def test_without_an_approved_template_nothing_goes(case, agent):
    TemplateVersion.objects.filter(template__key="case.reply").update(status="RETIRED")
    with at(TUESDAY_10):
        verdicts = {v.channel: v.code for v in case_replies.channel_verdicts(case.customer)}
        assert verdicts == {"EMAIL": "no_template", "WHATSAPP": "no_template", "SMS": "no_template"}
        with pytest.raises(ServiceError) as refused:
            case_replies.case_reply(actor=agent, case_id=case.pk, channel="EMAIL", text=TEXT)
    assert refused.value.code == "no_template"
    assert _replies(case) == []


@pytest.mark.parametrize(
    "data",
    [
        {"channel": "EMAIL", "text": ""},
        {"channel": "EMAIL", "text": "   "},
        {"channel": "EMAIL", "text": "x" * 1001},
        {"channel": "PUSH", "text": TEXT},
        {"channel": "IN_APP", "text": TEXT},
        {"channel": "EMAIL\x00", "text": TEXT},
        {"channel": "EMAIL", "text": "a\x00b"},
        {"channel": "EMAIL", "text": "bunyi\x07bel"},
        {"text": TEXT},
        {},
    ],
)
def test_hostile_input_is_refused_without_a_5xx_and_writes_nothing(case, agent, data):
    client = sign_in(Client(), agent)
    with at(TUESDAY_10):
        response = client.post(f"/messaging/cases/{case.pk}/reply/", data)
    assert response.status_code in (303, 400)  # refused (flashed), or a NUL byte (400)
    assert _replies(case) == []
    assert not CaseActivity.objects.filter(case=case, activity_type="REPLY").exists()


def test_scope_permission_and_closed_cases(case, agent, make_user, branch_a, branch_b):
    other_agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    url = f"/messaging/cases/{case.pk}/reply/"
    assert other_agent.post(url, {"channel": "EMAIL", "text": TEXT}).status_code == 404
    elsewhere = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_b]))
    assert elsewhere.post(url, {"channel": "EMAIL", "text": TEXT}).status_code == 404
    missing = "/messaging/cases/00000000-0000-0000-0000-000000000000/reply/"
    client = sign_in(Client(), agent)
    assert client.post(missing, {"channel": "EMAIL", "text": TEXT}).status_code == 404
    assert client.get(url).status_code == 405

    RolePermission.objects.filter(role_id=R.AGENT, permission="case.reply").delete()
    assert sign_in(Client(), agent).post(url, {"channel": "EMAIL", "text": TEXT}).status_code == 403
    page = sign_in(Client(), agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="case-reply"' not in page  # the panel follows the permission
    assert _replies(case) == []


def test_a_closed_case_takes_no_reply(case, agent):
    Case.objects.filter(pk=case.pk).update(
        status="CLOSED",
        final_response="Dana sudah dikembalikan ke rekening Anda.",
        closed_at=TUESDAY_10,
    )
    with at(TUESDAY_10), pytest.raises(ServiceError) as refused:
        case_replies.case_reply(actor=agent, case_id=case.pk, channel="EMAIL", text=TEXT)
    assert refused.value.code == "case_not_open"
    page = sign_in(Client(), agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="reply-form"' not in page
