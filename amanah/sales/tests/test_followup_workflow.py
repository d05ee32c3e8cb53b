"""Follow-up outcomes go through the workflow engine (``sales.followup``)."""

import pytest

from amanah.audit.models import AuditLog
from amanah.core.actors import SYSTEM
from amanah.core.errors import ServiceError
from amanah.sales.followups import followup_complete
from amanah.sales.models import FollowUpTask, Lead
from amanah.sales.tests.test_followups import close_case, task  # noqa: F401  (fixtures)
from amanah.workflow.contract import available_transitions, history_for


def _state(task: FollowUpTask):  # noqa: F811
    task.refresh_from_db()
    return (
        task.status,
        task.outcome_reason,
        task.completed_at,
        len(history_for(SYSTEM, task)),
        AuditLog.objects.filter(object_id=str(task.pk)).count(),
        Lead.objects.count(),
    )


def test_a_refused_outcome_changes_nothing(task, agent):  # noqa: F811
    before = _state(task)
    for outcome, reason in (("SKIPPED", "tdk"), ("MAYBE", "belum tahu"), ("OPEN", "lagi")):
        with pytest.raises(ServiceError):
            followup_complete(actor=agent, task=task, outcome=outcome, reason=reason)
    assert _state(task) == before


def test_an_outcome_writes_a_history_line_and_its_audit_row(task, agent):  # noqa: F811
    assert {m.to_status for m in available_transitions(agent, task)} == {"DONE", "SKIPPED"}
    followup_complete(actor=agent, task=task, outcome="SKIPPED", reason="Tidak bisa dihubungi")
    (line,) = history_for(agent, task)
    assert (line.from_status, line.to_status, line.data) == (
        "OPEN",
        "SKIPPED",
        {"reason_length": 20},
    )
    audit = AuditLog.objects.get(object_id=str(task.pk), action="FOLLOWUP_SKIPPED")
    assert audit.meta["history"] == line.pk and audit.meta["case"] == str(task.case_id)
    assert "Tidak bisa" not in str(audit.meta)  # the reason's length only
    task.refresh_from_db()
    assert available_transitions(agent, task) == []
