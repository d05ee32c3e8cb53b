"""Merge decisions go through the workflow engine (``customers.merge``)."""

import pytest

from amanah.audit.models import AuditLog
from amanah.core.actors import SYSTEM
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.models import Customer, MergeRequest
from amanah.customers.tests.test_customers import _duplicate_pair
from amanah.workflow.contract import history_for


def _state(request: MergeRequest, absorbed: Customer):
    request.refresh_from_db()
    absorbed.refresh_from_db()
    return (
        request.status,
        request.decided_by_id,
        absorbed.merged_into_id,
        absorbed.status,
        len(history_for(SYSTEM, request)),
        AuditLog.objects.filter(object_id=str(request.pk)).count(),
    )


@pytest.fixture
def proposal(make_customer, make_user, branch_a):
    survivor, absorbed = _duplicate_pair(make_customer, make_user, branch_a)
    proposer = make_user(R.SUPERVISOR, branches=[branch_a])
    request = merge.merge_propose(
        actor=proposer, survivor=survivor, absorbed=absorbed, reason="nasabah yang sama"
    )
    return request, proposer, absorbed


def test_a_refused_decision_changes_nothing(proposal):
    request, proposer, absorbed = proposal
    before = _state(request, absorbed)
    for decide in (merge.merge_approve, merge.merge_reject):
        with pytest.raises(ServiceError) as refused:
            decide(actor=proposer, request=request, note="sendiri")
        assert refused.value.code == "guard_failed"
    assert _state(request, absorbed) == before


def test_approval_merges_with_a_history_line_and_one_audit_row(proposal, make_user, branch_a):
    request, _proposer, absorbed = proposal
    approver = make_user(R.SUPERVISOR, branches=[branch_a])
    survivor = merge.merge_approve(actor=approver, request=request, note="cek KTP")
    (line,) = history_for(approver, request)
    assert (line.from_status, line.to_status, line.actor_id) == (
        "PENDING",
        "APPROVED",
        str(approver.pk),
    )
    audit = AuditLog.objects.get(object_id=str(request.pk), action="APPROVE_MERGE")
    assert audit.meta["history"] == line.pk
    assert (
        audit.meta["absorbed"] == str(absorbed.pk)
        and "customers.identifiers" in audit.meta["moved"]
    )
    absorbed.refresh_from_db()
    assert absorbed.merged_into == survivor
    with pytest.raises(ServiceError) as refused:  # decided is decided
        merge.merge_reject(actor=approver, request=request, note="terlambat")
    assert refused.value.code == "transition_not_allowed"


def test_a_rejection_moves_nothing(proposal, make_user, branch_a):
    request, _proposer, absorbed = proposal
    request = merge.merge_reject(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]), request=request, note="beda orang"
    )
    assert request.status == "REJECTED" and request.decision_note == "beda orang"
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id is None
    assert AuditLog.objects.filter(object_id=str(request.pk), action="REJECT_MERGE").count() == 1
