"""Inbound WhatsApp → a case, a note on the open case, or the unmatched queue; once per
provider message id; STOP still withdraws consent and opens nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases.models import Case, CaseActivity
from amanah.conftest import sign_in
from amanah.consent.models import ConsentRecord
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.integrations.models import InboundIntake, IntakeStatus
from amanah.integrations.testing import unmatched_intake, whatsapp_in
from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 — fixtures
    raw_json,
    signed_post,
    webhook_settings,
)

pytestmark = pytest.mark.django_db
TEXT = "Saya transfer Rp 500.000 tetapi belum masuk ke rekening tujuan."


def test_a_matched_message_opens_a_whatsapp_case(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = whatsapp_in(from_address="6281260001111", text=TEXT)
    intake = InboundIntake.objects.get(external_id=message.provider_message_id)
    assert intake.status == IntakeStatus.CASE_CREATED and intake.customer == customer
    case = intake.case
    assert case.channel == "WHATSAPP" and case.customer == customer
    assert TEXT in case.description
    assert AuditLog.objects.get(action="CREATE_CASE").actor_username == (
        "integration:whatsapp-intake"
    )
    # The receipt goes the existing way: cases.case_created → messaging's deferred notice.
    assert callbacks, "the case receipt notice is queued on commit"


def test_a_second_message_is_a_note_on_the_open_case_within_n_days(customer, settings):
    settings.INTEGRATIONS_INTAKE_NOTE_DAYS = 7
    whatsapp_in(from_address="+6281260001111", text=TEXT)
    second = whatsapp_in(from_address="+6281260001111", text="Mohon kabarnya, sudah dua hari.")
    assert Case.objects.count() == 1
    intake = InboundIntake.objects.get(external_id=second.provider_message_id)
    assert intake.status == IntakeStatus.NOTE_ADDED and intake.case == Case.objects.get()
    assert CaseActivity.objects.filter(message__contains="sudah dua hari").exists()
    assert intake.case.first_responded_at is None  # the customer wrote again; nobody answered
    later = timezone.now() + timedelta(days=8)
    with mock.patch("django.utils.timezone.now", return_value=later):
        whatsapp_in(from_address="+6281260001111", text="Masalah baru: kartu ATM tertelan.")
    assert Case.objects.count() == 2


def test_an_unknown_or_shared_number_goes_to_the_unmatched_queue(customer, system, branch_a):
    whatsapp_in(from_address="+6281399990000", text=TEXT)
    customer_create(
        actor=system,
        data=CustomerInput(full_name="Ahmad Nasution", home_branch=branch_a, phone="081260001111"),
    )
    whatsapp_in(from_address="+6281260001111", text=TEXT)  # two customers: no guessing
    assert not Case.objects.exists()
    queued = InboundIntake.objects.filter(status=IntakeStatus.UNMATCHED)
    assert queued.count() == 2 and all(i.text == TEXT for i in queued)


def test_a_duplicate_webhook_creates_nothing(customer):
    whatsapp_in(from_address="+6281260001111", text=TEXT, message_id="wamid.SAME")
    whatsapp_in(from_address="+6281260001111", text=TEXT, message_id="wamid.SAME")
    assert InboundIntake.objects.count() == 1 and Case.objects.count() == 1


def test_stop_still_withdraws_consent_and_opens_no_case(customer):
    whatsapp_in(from_address="+6281260001111", text="STOP")
    assert not InboundIntake.objects.exists() and not Case.objects.exists()
    assert ConsentRecord.objects.filter(
        customer=customer, contact_channel="WHATSAPP", new_status="WITHDRAWN"
    ).exists()


def test_control_characters_and_overlong_text_are_cleaned_not_fatal(customer):
    whatsapp_in(from_address="+6281260001111", text="Halo\x00 saldo\x07 saya " + "x" * 9000)
    intake = InboundIntake.objects.get()
    assert "\x00" not in intake.text and len(intake.text) == 4096
    assert intake.status == IntakeStatus.CASE_CREATED


def test_a_case_that_cannot_open_queues_the_message_instead(customer, settings):
    settings.INTEGRATIONS_INTAKE_CATEGORY = "TIDAK_ADA"
    whatsapp_in(from_address="+6281260001111", text=TEXT)
    intake = InboundIntake.objects.get()
    assert intake.status == IntakeStatus.UNMATCHED and not Case.objects.exists()
    assert AuditLog.objects.get(action="RECEIVE_INTAKE").meta["reason"] == "category_required"


def test_through_the_signed_webhook_end_to_end(client, customer, webhook_settings, caplog):  # noqa: F811
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "waba",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": "1",
                            },
                            "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281260001111"}],
                            "messages": [
                                {
                                    "from": "6281260001111",
                                    "id": "wamid.E2E",
                                    "timestamp": "1795000000",
                                    "type": "text",
                                    "text": {"body": TEXT},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = raw_json(body)
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):  # the provider retries: still one case
            response = signed_post(
                client,
                "/webhooks/whatsapp",
                raw,
                secret=fake.APP_SECRET,
                header="X-Hub-Signature-256",
            )
            assert response.status_code == 200
    assert Case.objects.filter(customer=customer, channel="WHATSAPP").count() == 1
    assert TEXT not in caplog.text and "6281260001111" not in caplog.text


def test_the_queue_masks_text_and_an_agent_links_it(agent, customer):
    intake = unmatched_intake(TEXT)
    client = sign_in(Client(), agent)
    listing = client.get("/integrasi/pesan-masuk/").content.decode()
    assert TEXT not in listing and "+6281399990000" not in listing
    detail = client.get(f"/integrasi/pesan-masuk/{intake.pk}/").content.decode()
    assert TEXT in detail
    response = client.post(f"/integrasi/pesan-masuk/{intake.pk}/tautkan/", {"cif": "CIF2000001"})
    assert response.status_code == 303
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.LINKED and intake.customer == customer
    assert intake.case.channel == "WHATSAPP" and intake.linked_by == agent
    again = client.post(f"/integrasi/pesan-masuk/{intake.pk}/tautkan/", {"cif": "CIF2000001"})
    assert again.status_code == 303 and Case.objects.count() == 1


def test_linking_to_an_unknown_or_out_of_scope_customer_changes_nothing(agent, system, branch_b):
    customer_create(
        actor=system,
        data=CustomerInput(full_name="Rudi Hartono", home_branch=branch_b, cif="CIF2000009"),
    )
    intake = unmatched_intake(TEXT)
    client = sign_in(Client(), agent)
    for cif in ("CIF2000009", "CIF-TIDAK-ADA", ""):
        client.post(f"/integrasi/pesan-masuk/{intake.pk}/tautkan/", {"cif": cif})
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.UNMATCHED and not Case.objects.exists()


def test_the_intake_can_be_switched_off(customer, settings):
    settings.INTEGRATIONS_WHATSAPP_INTAKE = False
    whatsapp_in(from_address="+6281260001111", text=TEXT)
    assert not InboundIntake.objects.exists() and not Case.objects.exists()


def test_a_merge_moves_the_intakes_to_the_survivor(customer, system, branch_a):
    from amanah.integrations.contract import move_intakes

    whatsapp_in(from_address="+6281260001111", text=TEXT)
    survivor = customer_create(
        actor=system, data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a)
    )
    assert move_intakes(customer, survivor) == 1
    assert InboundIntake.objects.get().customer == survivor


def test_a_filed_message_is_missing_for_whoever_may_not_open_its_case(
    customer, make_user, branch_b
):
    """Once filed on a branch-A case, the message (the complaint's text) is no queue item any
    more: an agent of another branch who knew its address gets the same 404 as for a missing
    one; the agent who linked it still reads it."""
    message = whatsapp_in(from_address="+6281260001111", text=TEXT)
    intake = InboundIntake.objects.get(external_id=message.provider_message_id)
    assert intake.status == IntakeStatus.CASE_CREATED
    elsewhere = sign_in(Client(), make_user(R.AGENT, branches=[branch_b]))
    response = elsewhere.get(f"/integrasi/pesan-masuk/{intake.pk}/")
    assert response.status_code == 404 and TEXT not in response.content.decode()
