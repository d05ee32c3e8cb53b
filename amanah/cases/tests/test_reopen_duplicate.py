"""Reopen within CASE_REOPEN_DAYS and cancel as a duplicate (issue 16): workflow moves with a
permission, a required field, a guard and an audit row; duplicates left out of OJK counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import selectors, sla
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseStatus
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.workflow.contract import transition_apply

FINAL = "Dana Rp 2.500.000 sudah dikembalikan ke rekening nasabah."
REASON = "nasabah menyatakan dana belum masuk"
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB)


def _closed(open_case, agent, *, resolved_at, closed_at):
    with at(MONDAY):
        case = open_case()
    with at(resolved_at):
        case = cases.case_final_response(
            actor=agent, case=case, text=FINAL, resolution_code="REFUND"
        )
    with at(closed_at):
        return cases.case_close(actor=agent, case=case, resolution_code="REFUND")


def test_reopen_within_the_window_resumes_the_clock_where_it_stopped(open_case, agent, supervisor):
    resolved = MONDAY + dt.timedelta(hours=2)
    case = _closed(open_case, agent, resolved_at=resolved, closed_at=resolved)
    due_before, warn_before = case.sla_due_at, case.warn_at
    reopened_at = MONDAY + dt.timedelta(days=3, hours=1)  # Thursday 10:00
    with at(reopened_at):
        case = cases.case_reopen(actor=supervisor, case=case, reason=REASON)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.final_response is None and case.resolved_at is None
    assert case.closed_at is None and case.resolution_code == ""
    # The working time between the final response and the reopening does not count.
    assert case.sla_due_at == sla.after_pause(case.branch, due_before, resolved, reopened_at)
    assert case.warn_at == sla.after_pause(case.branch, warn_before, resolved, reopened_at)
    assert case.sla_due_at > due_before
    row = AuditLog.objects.filter(object_id=str(case.pk), action="UPDATE_CASE").latest("id")
    assert row.meta["from"] == "CLOSED" and row.meta["to"] == "IN_PROGRESS"
    assert row.meta["reopened_from"] == "CLOSED" and row.meta["reason_length"] == len(REASON)
    assert REASON not in str(row.meta)  # free text never in the audit meta
    changes = [line.change for line in selectors.case_history(case)]
    assert "Ditutup → Diproses" in changes
    # A new final response is needed before closing again.
    with pytest.raises(ServiceError) as refused:
        cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    assert refused.value.code == "final_response_required"


def test_reopen_needs_the_permission_a_reason_and_the_window(
    open_case, agent, supervisor, settings
):
    closed_at = MONDAY + dt.timedelta(hours=2)
    case = _closed(open_case, agent, resolved_at=closed_at, closed_at=closed_at)
    with at(closed_at + dt.timedelta(days=1)), pytest.raises(PermissionDenied):
        cases.case_reopen(actor=agent, case=case, reason=REASON)
    for reason in ("", "  singkat ", None):
        with pytest.raises(ServiceError) as refused:
            cases.case_reopen(actor=supervisor, case=case, reason=reason)
        assert refused.value.code == "reason_required"
    with at(closed_at + dt.timedelta(days=14, minutes=1)), pytest.raises(ServiceError) as late:
        cases.case_reopen(actor=supervisor, case=case, reason=REASON)
    assert late.value.code == "reopen_window_passed"
    # The engine's guard says the same to any other caller.
    with at(closed_at + dt.timedelta(days=15)), pytest.raises(ServiceError) as guarded:
        transition_apply(actor=supervisor, obj=case, to="IN_PROGRESS", reason=REASON)
    assert guarded.value.code == "guard_failed"
    with pytest.raises(ServiceError) as missing:
        transition_apply(actor=supervisor, obj=case, to="IN_PROGRESS")
    assert missing.value.code == "field_required"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    settings.CASE_REOPEN_DAYS = 30
    with at(closed_at + dt.timedelta(days=15)):
        assert cases.case_reopen(actor=supervisor, case=case, reason=REASON).status == (
            "IN_PROGRESS"
        )


def test_reopen_from_the_case_page(open_case, agent, supervisor):
    case = cases.case_final_response(
        actor=agent, case=open_case(), text=FINAL, resolution_code="REFUND"
    )
    case = cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    client = sign_in(Client(), supervisor)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="reopen-form"' in page
    url = reverse("cases:reopen", args=[case.pk])
    for bad in ("", "x\x00yyyyyyyyyy", "x" * 1001):
        assert client.post(url, {"reason": bad}).status_code == 400
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    assert client.post(url, {"reason": REASON}).status_code == 303
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    agent_page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk]))
    assert 'data-testid="reopen-form"' not in agent_page.content.decode()


# --------------------------------------------------------------------------- duplicates


def test_cancel_as_duplicate_links_audits_and_stops_the_clock(open_case, agent):
    original, copy = open_case(), open_case()
    typed = f" {original.case_no.lower()} "
    copy = cases.case_cancel_duplicate(actor=agent, case=copy, original_no=typed)
    copy.refresh_from_db()
    assert copy.status == CaseStatus.CANCELLED and copy.duplicate_of_id == original.pk
    assert copy.closed_at is not None and not copy.is_open
    assert sla.sla_view(copy, copy.sla_due_at + dt.timedelta(days=9)).state == "DONE"
    assert sla.countdown(copy, copy.sla_due_at) == ""
    row = AuditLog.objects.filter(object_id=str(copy.pk), action="CLOSE_CASE").latest("id")
    assert row.meta["to"] == "CANCELLED" and row.meta["duplicate_of"] == str(original.pk)
    lines = [(line.change, line.activity.message) for line in selectors.case_history(copy)]
    assert ("Baru → Dibatalkan (duplikat)", f"Duplikat dari {original.case_no}") in lines
    queue_rows, _ = selectors.my_cases(actor=agent, tab="created")
    assert copy.pk not in {c.pk for c in queue_rows}


def test_cancel_as_duplicate_refuses_bad_originals(
    open_case, agent, make_user, branch_a, branch_b, system
):
    copy = open_case()
    colleague_case = open_case(actor=make_user(R.AGENT, branches=[branch_a]))
    stranger = customer_create(
        actor=system,
        data=CustomerInput(full_name="Siti Aminah", home_branch=branch_b, phone="082160009999"),
    )
    elsewhere = cases.case_create(
        actor=make_user(R.AGENT, branches=[branch_b]),
        data=cases.CaseInput(
            customer=stranger,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )
    for number, code in [
        (copy.case_no, "duplicate_of_self"),
        (colleague_case.case_no, "duplicate_of_not_found"),  # not the agent's: out of scope
        (elsewhere.case_no, "duplicate_of_not_found"),
        ("PGD-2099-999999", "duplicate_of_not_found"),
        ("PGD\x00", "duplicate_of_not_found"),
        ("P" * 500, "duplicate_of_not_found"),
    ]:
        with pytest.raises(ServiceError) as refused:
            cases.case_cancel_duplicate(actor=agent, case=copy, original_no=number)
        assert refused.value.code == code, number
    first, second = open_case(), open_case()
    cases.case_cancel_duplicate(actor=agent, case=second, original_no=first.case_no)
    with pytest.raises(ServiceError) as chained:
        cases.case_cancel_duplicate(actor=agent, case=copy, original_no=second.case_no)
    assert chained.value.code == "duplicate_of_cancelled"
    assert Case.objects.get(pk=copy.pk).status == CaseStatus.NEW
    # A resolved case is no longer cancelled as a duplicate (the workflow has no such move).
    done = cases.case_final_response(
        actor=agent, case=open_case(), text=FINAL, resolution_code="REFUND"
    )
    with pytest.raises(ServiceError) as not_open:
        cases.case_cancel_duplicate(actor=agent, case=done, original_no=first.case_no)
    assert not_open.value.code == "transition_not_allowed"


def test_the_database_refuses_a_cancelled_case_without_its_original(open_case):
    case = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="CANCELLED")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(duplicate_of=case.pk)


def test_cancel_as_duplicate_from_the_case_page(open_case, agent):
    original, copy = open_case(), open_case()
    client = sign_in(Client(), agent)
    assert (
        'data-testid="duplicate-form"'
        in client.get(reverse("cases:detail", args=[copy.pk])).content.decode()
    )
    url = reverse("cases:cancel_duplicate", args=[copy.pk])
    for bad in ("", "PGD\x00", "P" * 41, "PGD-2099-000001"):
        page = client.post(url, {"duplicate_of": bad, "confirm": "on"})
        assert page.status_code == 400, bad
    assert client.post(url, {"duplicate_of": original.case_no}).status_code == 400  # unconfirmed
    assert client.post(url, {"duplicate_of": original.case_no, "confirm": "on"}).status_code == 303
    page = client.get(reverse("cases:detail", args=[copy.pk])).content.decode()
    assert 'data-testid="duplicate-of"' in page and original.case_no in page
