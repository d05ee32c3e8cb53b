"""The hub's own notices (``messaging.notices``): the case receipt (PDF by reference) and
status updates to the customer, the SLA digest to staff, merge and template approvals.

Deferred handlers run as the worker runs them: the change commits (captured on-commit
callbacks), its job row is read back and ``events.run_deferred`` runs it — twice, where a
retried job must add nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import zlib
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection, transaction

from amanah.cases import receipts
from amanah.cases import services as cases
from amanah.cases.models import Case
from amanah.cases.sweep import sla_sweep
from amanah.core import events
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents import contract as documents
from amanah.documents.models import Document
from amanah.messaging import attachments, dispatch
from amanah.messaging.fakeprovider.testing import (
    fake_provider,  # noqa: F401 — fixture
    providers_config,
)
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.template_seeds import seed_templates
from amanah.messaging.tests.conftest import TUESDAY_10
from amanah.notifications.models import Notification

DESCRIPTION = "Transfer ke rekening lain gagal tetapi saldo terpotong Rp 2.500.000."


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


def _last_job_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def jobs_before(db):
    """The jobs there before the test: tests that commit (e2e, concurrency) may leave some,
    whose users are gone by now; ``run_jobs`` leaves them alone, whatever the order."""
    global _JOBS_BEFORE
    _JOBS_BEFORE = _last_job_id()


_JOBS_BEFORE = 0


def _jobs() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, args FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
            " AND id > %s ORDER BY id",
            ["amanah.core.tasks.run_event_handler", _JOBS_BEFORE],
        )
        return [(i, json.loads(a) if isinstance(a, str) else a) for i, a in cursor.fetchall()]


def run_jobs(*, twice: bool = False) -> int:
    """Run the deferred event handlers waiting, as the worker does (again if ``twice``, as a
    retried job would); handlers that defer more are run too. Returns how many ran."""
    ran = 0
    while jobs := _jobs():
        for job_id, args in jobs:
            for _ in range(2 if twice else 1):
                events.run_deferred(**args)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job_id]
                )
            ran += 1
    return ran


@contextmanager
def committed(capture):
    """A change whose on-commit callbacks (deferred handlers becoming jobs) run at the end."""
    with capture(execute=True), transaction.atomic():
        yield


@pytest.fixture
def seeded(make_user):
    seed_templates(author=make_user(R.MARKETING), approver=make_user(R.COMPLIANCE))


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a], email="agen@bank.test")


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a], email="spv@bank.test")


@pytest.fixture
def person(system, branch_a):
    def make(*, email="budi.santoso@contoh.co.id", phone="082160003003"):
        return customer_create(
            actor=system,
            data=CustomerInput(
                full_name="Budi Santoso Sitorus", home_branch=branch_a, email=email, phone=phone
            ),
        )

    return make


def _create_case(agent, customer, capture, category="TRX_FAIL"):
    with at(TUESDAY_10), committed(capture):
        return cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code=category,
                priority="MEDIUM",
                description=DESCRIPTION,
            ),
        )


def _pdf_text(pdf: bytes) -> str:
    """The page content of an fpdf document (its streams, inflated)."""
    text = pdf.decode("latin-1")
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text += zlib.decompress(raw).decode("latin-1")
        except zlib.error:
            continue
    return text


# --------------------------------------------------------------------------- the receipt


def test_the_receipt_email_reaches_smtp_with_the_pdf_and_the_outbox_keeps_a_reference_only(
    seeded, agent, person, smtp_server, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    customer = person()
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    assert not Message.objects.filter(source="CASE")  # nothing in the case's transaction
    with at(TUESDAY_10):  # queued at the moment it is sent, whatever today's date
        assert run_jobs(twice=True) == 2  # the receipt notice, and cases' receipt issue

    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert (message.channel, message.purpose, message.step) == ("EMAIL", "SERVICE", "receipt")
    # The receipt was issued once (both jobs ask, each twice): one document, one version.
    (issued,) = Document.objects.filter(owner_id=str(case.pk), doc_type="RECEIPT")
    assert issued.versions.count() == 1
    assert message.attachments == [{"kind": "cases.receipt", "ref": str(case.pk)}]
    assert message.template_key == "case.receipt" and case.case_no in message.subject

    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 1, "sent": 1}
    (mail,) = smtp_server.mailbox.values()
    assert smtp_server.recipients[mail["Message-ID"]] == [customer.email]
    (pdf,) = [part for part in mail.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"tanda-terima-{case.case_no}.pdf"
    content = pdf.get_content()
    assert content.startswith(b"%PDF") and case.case_no in _pdf_text(content)
    assert content == documents.generated_content(receipts.receipt_issue(case))  # that one
    # Neither the address, the name, the case number nor a body in any log line.
    for secret in (customer.email, customer.full_name, case.case_no, str(case.pk), "Yth."):
        assert secret not in caplog.text


def test_without_an_email_the_receipt_goes_by_whatsapp_with_the_pdf_uploaded_as_its_document(
    seeded, agent, person, settings, fake_provider,  # noqa: F811 — the fixture
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.MESSAGING_PROVIDERS = providers_config(fake_provider.url)
    customer = person(email="")
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    with at(TUESDAY_10):
        run_jobs()
    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert message.channel == "WHATSAPP" and message.provider_template == "case_receipt"
    assert case.case_no in message.parameters

    assert dispatch.dispatch_batch("WHATSAPP", at=TUESDAY_10)["sent"] == 1
    upload, sent = fake_provider.delivered("whatsapp")
    assert upload.path.endswith("/media")
    assert upload.body["type"] == "application/pdf"
    assert upload.body["filename"] == f"tanda-terima-{case.case_no}.pdf"
    header, body = sent.body["template"]["components"]
    assert header["parameters"][0]["type"] == "document"
    assert case.case_no in [p["text"] for p in body["parameters"]]


def test_the_receipt_goes_on_the_customers_preferred_service_channel(
    seeded, agent, person, django_capture_on_commit_callbacks
):
    """E-mail first is the hub's own order; a customer who chose WhatsApp for SERVICE gets it
    there (``choosing.channel_order``) instead of an e-mail refused as NOT_PREFERRED."""
    from amanah.consent.models import ContactPreference

    customer = person()  # an e-mail address and a phone
    ContactPreference.objects.create(customer=customer, purpose="SERVICE", channel="WHATSAPP")
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    with at(TUESDAY_10):
        run_jobs()
    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert (message.channel, message.status) == ("WHATSAPP", "QUEUED")


def test_a_deployment_without_the_template_creates_the_case_and_skips_the_receipt_saying_so(
    agent, person, django_capture_on_commit_callbacks, caplog
):
    customer = person()
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    assert Case.objects.filter(pk=case.pk).exists()
    with caplog.at_level(logging.WARNING, logger="amanah.messaging.notices"):
        run_jobs()
    assert not Message.objects.filter(source="CASE")
    assert "case notice receipt skipped" in caplog.text and "case.receipt" in caplog.text
    assert case.case_no not in caplog.text and customer.email not in caplog.text


def test_a_fraud_case_still_gets_its_receipt_and_no_message_names_the_category(
    seeded, agent, person, django_capture_on_commit_callbacks
):
    customer = person()
    case = _create_case(agent, customer, django_capture_on_commit_callbacks, "FRAUD_SCAM")
    run_jobs()
    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert message.status == MessageStatus.QUEUED  # the sensitive-case block is for offers
    assert case.category.name not in message.text + message.subject + message.html


def test_a_receipt_whose_case_is_gone_fails_for_good_and_the_batch_goes_on():
    with pytest.raises(attachments.AttachmentUnavailable):
        attachments.build([{"kind": "cases.receipt", "ref": "not-a-uuid"}])
    with pytest.raises(attachments.AttachmentUnavailable):
        attachments.build([{"kind": "unknown", "ref": "1"}])
    assert attachments.build([]) == ()


# --------------------------------------------------------------------------- status updates


def _move(actor, case, capture, to, **data):
    with at(TUESDAY_10), committed(capture):
        if to == "RESOLVED":
            cases.case_final_response(
                actor=actor, case=case, text=data["text"], resolution_code="REFUND"
            )
        else:
            cases.case_change_status(actor=actor, case=case, to_status=to)


def test_each_move_the_customer_cares_about_is_queued_once_even_if_its_job_runs_twice(
    seeded, agent, supervisor, person, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    case = _create_case(agent, person(), capture)
    run_jobs()
    _move(agent, case, capture, "IN_PROGRESS")
    _move(agent, case, capture, "WAITING_INFO")  # not for the customer
    _move(agent, case, capture, "IN_PROGRESS")  # back from waiting: nothing either
    run_jobs(twice=True)
    final = "Dana Rp 2.500.000 telah dikembalikan ke rekening Anda pada 24-11-2026."
    _move(agent, case, capture, "RESOLVED", text=final)
    run_jobs(twice=True)
    _move(supervisor, case, capture, "IN_PROGRESS")  # reopened
    run_jobs(twice=True)
    _move(agent, case, capture, "RESOLVED", text=final)
    with at(TUESDAY_10), committed(capture):
        cases.case_close(actor=supervisor, case=case)
    with at(TUESDAY_10), committed(capture):  # reopened after the close
        cases.case_reopen(actor=supervisor, case=case, reason="Nasabah melapor dana belum masuk.")
    run_jobs(twice=True)

    steps = list(
        Message.objects.filter(source="CASE", source_id=str(case.pk))
        .order_by("created_at", "step")
        .values_list("step", "template_key")
    )
    assert sorted(steps) == sorted(
        [
            ("receipt", "case.receipt"),
            ("status:IN_PROGRESS:1", "case.status_update"),
            ("status:RESOLVED:1", "case.resolved"),
            ("status:IN_PROGRESS:3", "case.status_update"),
            ("status:RESOLVED:2", "case.resolved"),
            ("status:CLOSED:1", "case.status_update"),
            ("status:IN_PROGRESS:4", "case.status_update"),
        ]
    )
    resolved = Message.objects.get(source_id=str(case.pk), step="status:RESOLVED:1")
    assert final in resolved.text and resolved.attachments == []


# --------------------------------------------------------------------------- SLA digest


def test_the_sla_digest_queues_one_in_app_and_one_email_per_recipient_and_a_rerun_none(
    seeded, agent, supervisor, person, smtp_server, django_capture_on_commit_callbacks, caplog
):
    capture = django_capture_on_commit_callbacks
    case = _create_case(agent, person(), capture)
    with at(TUESDAY_10), committed(capture):
        cases.case_assign(actor=supervisor, case=case, assignee=agent)
    with at(TUESDAY_10):
        run_jobs()
    case.refresh_from_db()
    late = case.sla_due_at + dt.timedelta(minutes=1)
    caplog.set_level(logging.DEBUG)
    with at(late), committed(capture):
        assert sla_sweep().breached == 1
    with at(late), committed(capture):
        assert sla_sweep().breached == 0  # a second run marks nothing, emits nothing
    with at(late):  # the digest is queued when the sweep finds the breach, whatever today is
        run_jobs(twice=True)  # and a retried job adds nothing

    digests = Message.objects.filter(source="SLA", purpose="STAFF")
    assert sorted(digests.values_list("channel", "staff_user__username")) == sorted(
        (channel, user.username) for channel in ("IN_APP", "EMAIL") for user in (agent, supervisor)
    )
    assert {m.source_id for m in digests} == {f"breach:{late.astimezone(dt.UTC).isoformat()}"}

    with at(late):  # (the seeded templates' approval notices go out too)
        dispatch.dispatch_batch("IN_APP", at=late)
        dispatch.dispatch_batch("EMAIL", at=late)
    assert set(digests.values_list("status", flat=True)) == {MessageStatus.SENT}
    for user in (agent, supervisor):
        (notice,) = Notification.objects.filter(user=user, title__contains="SLA")
        assert (notice.title, notice.url) == (
            "1 kasus melewati batas SLA",
            "/cases/queue/?overdue=on",
        )
        assert notice.read_at is None  # the unread badge counts it
    subjects = sorted(
        (smtp_server.recipients[key], mail["Subject"])
        for key, mail in smtp_server.mailbox.items()
        if "SLA" in mail["Subject"]
    )
    subject = "Ringkasan SLA: 1 kasus melewati batas SLA"
    assert subjects == [([agent.email], subject), ([supervisor.email], subject)]
    assert agent.email not in caplog.text and case.case_no not in caplog.text


# --------------------------------------------------------------------------- approvals


def test_a_merge_proposal_tells_the_approvers_and_its_decision_the_proposer(
    make_user, branch_a, person, django_capture_on_commit_callbacks
):
    proposer = make_user(R.SUPERVISOR, branches=[branch_a])
    approver = make_user(R.SUPERVISOR, branches=[branch_a])
    elsewhere = make_user(R.SUPERVISOR, branches=[make_branch(make_user)])
    first, second = person(), person(email="lain@contoh.co.id", phone="082160009999")
    request = merge.merge_propose(
        actor=proposer, survivor=first, absorbed=second, reason="Nasabah yang sama, NIK sama."
    )
    pending = Message.objects.filter(source="MERGE", source_id=str(request.pk), step="pending")
    told = set(pending.values_list("staff_user_id", flat=True))
    assert approver.pk in told and proposer.pk not in told and elsewhere.pk not in told
    assert all(m.channel == "IN_APP" and m.purpose == "STAFF" for m in pending)

    merge.merge_approve(actor=approver, request=request, note="Cocok")
    (decided,) = Message.objects.filter(source="MERGE", step="decided:APPROVED")
    assert decided.staff_user_id == proposer.pk and "disetujui" in decided.subject


def make_branch(make_user):
    from amanah.core.actors import SystemActor
    from amanah.iam import services as iam
    from amanah.iam.models import TimeZoneChoice

    return iam.branch_save(
        actor=SystemActor("test"), code="BNJ01", name="KC Binjai", timezone_name=TimeZoneChoice.WIB
    )


def test_an_offer_template_submitted_tells_the_approvers_and_the_decision_its_author(make_user):
    from amanah.messaging import template_services as ts

    author, approver = make_user(R.MARKETING), make_user(R.COMPLIANCE)
    template = ts.template_create(
        actor=author,
        key="promo.uji",
        channel="EMAIL",
        purpose="OFFER",
        name="Promo uji",
        subject="Promo {{customer.first_name}}",
        text="Halo {{customer.first_name}}",
    )
    version = template.versions.get()
    ts.template_version_submit(actor=author, version=version)
    pending = Message.objects.filter(source="APPROVAL", step="pending")
    assert approver.pk in set(pending.values_list("staff_user_id", flat=True))
    assert author.pk not in set(pending.values_list("staff_user_id", flat=True))
    ts.template_version_reject(
        actor=approver, version=version, note="Belum sesuai ketentuan promosi"
    )
    (decided,) = Message.objects.filter(source="APPROVAL", step="decided:REJECTED")
    assert decided.staff_user_id == author.pk and "ditolak" in decided.subject
