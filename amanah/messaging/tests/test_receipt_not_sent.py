"""A case receipt that did not reach the customer is noted on the case (``messaging.not_sent``,
``cases.contract.case_notices_not_sent``): why, in Indonesian, no address and no body, one line
per reason however often the job or the check runs."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from django.utils import timezone

from amanah.cases.contract import NoticeNotSent, case_notices_not_sent
from amanah.cases.models import CaseActivity
from amanah.consent.contactability import Contactability
from amanah.core.roles import RoleKey as R
from amanah.messaging import not_sent, notices
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.tests import test_notices as tn

# The notices tests' fixtures and helpers (jobs run as the worker runs them).
agent, person, seeded, jobs_before = tn.agent, tn.person, tn.seeded, tn.jobs_before
_create_case, run_jobs = tn._create_case, tn.run_jobs


def _lines(case):
    return list(CaseActivity.objects.filter(case=case, activity_type="NOTICE"))


def test_without_an_approved_template_the_case_says_the_receipt_was_not_sent(
    agent, person, django_capture_on_commit_callbacks
):
    customer = person()
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    assert _lines(case) == []  # nothing in the case's own transaction
    run_jobs(twice=True)
    (line,) = _lines(case)
    assert line.meta == {"notice": "receipt", "reason": "no_template"}
    assert "TIDAK terkirim" in line.message and "templat" in line.message
    assert line.actor_id is None and line.actor_label == not_sent.NOTE_WRITER.username
    assert customer.email not in line.message and customer.phone_e164 not in line.message
    notices.case_receipt(actor=agent, case=case)  # the job again: no second line
    assert len(_lines(case)) == 1


def test_without_any_address_the_reason_is_no_address(
    seeded, agent, person, django_capture_on_commit_callbacks
):
    case = _create_case(agent, person(email="", phone=""), django_capture_on_commit_callbacks)
    run_jobs()
    assert [line.meta["reason"] for line in _lines(case)] == ["no_address"]
    assert not Message.objects.filter(source="CASE")


def test_a_receipt_cancelled_at_queueing_is_noted_with_consents_reason(
    seeded, agent, person, django_capture_on_commit_callbacks
):
    # A service message is refused only by a rule for SERVICE (none of consent's own today).
    customer = person()
    case = _create_case(agent, customer, django_capture_on_commit_callbacks)
    refused = Contactability(False, ("DO_NOT_CONTACT",))
    with mock.patch("amanah.messaging.queueing.contactability", return_value=refused):
        run_jobs()
    (message,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert message.status == MessageStatus.CANCELLED
    (line,) = _lines(case)
    assert line.meta["reason"] == "not_contactable" and "jangan-dihubungi" in line.message
    assert not_sent.receipts_not_sent_note() == 0  # the periodic check adds no second line


def test_receipts_that_ended_unsent_later_are_noted_once_each_and_nothing_else(
    seeded, agent, person, django_capture_on_commit_callbacks
):
    cases = [
        _create_case(agent, person(email=f"nasabah{n}@contoh.co.id", phone=f"08216000300{n}"),
                     django_capture_on_commit_callbacks)
        for n in range(5)
    ]  # fmt: skip
    run_jobs()
    assert not any(_lines(case) for case in cases)
    now = timezone.now()
    receipts = {m.source_id: m for m in Message.objects.filter(source="CASE", step="receipt")}
    ended = [
        (MessageStatus.FAILED, {"last_error_code": "timeout"}, now),
        (MessageStatus.DEAD, {}, now),
        (MessageStatus.BOUNCED, {}, now),
        (MessageStatus.CANCELLED, {"cancel_reason": "DO_NOT_CONTACT"}, now),
        (MessageStatus.FAILED, {}, now - not_sent.LOOKBACK - dt.timedelta(minutes=1)),
    ]
    for case, (status, fields, changed) in zip(cases, ended, strict=True):
        Message.objects.filter(pk=receipts[str(case.pk)].pk).update(
            status=status, status_changed_at=changed, **fields
        )
    assert not_sent.receipts_not_sent_note() == 4
    assert not_sent.receipts_not_sent_note() == 0
    reasons = [[line.meta["reason"] for line in _lines(case)] for case in cases]
    assert reasons == [["failed"], ["failed"], ["bounced"], ["not_contactable"], []]
    assert "tidak menjawab tepat waktu" in _lines(cases[0])[0].message  # the error's label
    assert "gagal berulang" in _lines(cases[1])[0].message


def test_only_cases_in_scope_with_a_real_id_get_a_line(
    agent, person, make_user, branch_b, django_capture_on_commit_callbacks
):
    case = _create_case(agent, person(), django_capture_on_commit_callbacks)
    note = NoticeNotSent(case.pk, "receipt", "failed", "pengiriman gagal")
    elsewhere = make_user(R.SUPERVISOR, branches=[branch_b])
    assert case_notices_not_sent(actor=elsewhere, notes=[note]) == 0  # out of scope
    odd = [NoticeNotSent("not-a-uuid", "receipt", "failed", "x"), note, note]
    assert case_notices_not_sent(actor=not_sent.NOTE_WRITER, notes=odd) == 1
    assert case_notices_not_sent(actor=not_sent.NOTE_WRITER, notes=odd) == 0
    assert len(_lines(case)) == 1
