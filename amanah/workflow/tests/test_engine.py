"""transition_apply / transition_revert: permission, guard, required fields, scope, history,
audit and event in one transaction; the moves views are offered."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from amanah.audit.models import AuditLog
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.events import EventHandler
from amanah.sales.models import Lead
from amanah.workflow.contract import (
    available_revert,
    available_transitions,
    history_for,
    transition_apply,
    transition_revert,
)
from amanah.workflow.models import Transition, TransitionHistory
from amanah.workflow.services import transition_update
from amanah.workflow.tests.conftest import REFUSE


def _transition(frm, to, *, revert=False) -> Transition:
    return Transition.objects.get(
        workflow__key="sales.lead", from_status=frm, to_status=to, is_revert=revert
    )


def _edit(admin, frm, to, **changes) -> Transition:
    row = _transition(frm, to)
    values = {"permission": row.permission, "guard": row.guard, "enabled": row.enabled}
    return transition_update(actor=admin, transition=row, **{**values, **changes})


def _history(lead):
    return list(
        TransitionHistory.objects.filter(object_id=str(lead.pk))
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def _audit(lead):
    return AuditLog.objects.filter(object_id=str(lead.pk)).order_by("id")


def _status(lead) -> str:
    return Lead.objects.get(pk=lead.pk).status


def _listening(handler, event="sales.lead.transitioned"):
    """Subscribe ``handler`` to the lead workflow's event for the ``with`` block only."""
    return registry.event_handlers.temporarily(
        f"{event}:test-listener", EventHandler(event, handler)
    )


# ------------------------------------------------------------------ the happy path


def test_a_move_saves_writes_history_audit_and_event(lead, rm):
    seen = []

    def listen(*, actor, obj, from_status, to_status, revert):
        seen.append((actor, obj.pk, from_status, to_status, revert))

    with _listening(listen):
        moved = transition_apply(actor=rm, obj=lead, to="CONTACTED")
    assert moved.status == _status(lead) == "CONTACTED"
    line = TransitionHistory.objects.get(object_id=str(lead.pk))
    assert (line.from_status, line.to_status, line.actor_id, line.actor_label) == (
        "NEW",
        "CONTACTED",
        str(rm.pk),
        "rm_wf",
    )
    row = _audit(lead).last()
    assert row.action == "UPDATE_LEAD"
    assert row.meta == {
        "workflow": "sales.lead",
        "from": "NEW",
        "to": "CONTACTED",
        "history": line.pk,
    }
    assert seen == [(rm, lead.pk, "NEW", "CONTACTED", False)]


def test_free_text_stays_out_of_history_and_audit(lead, rm):
    reason = "Nasabah Siti sudah punya deposito di bank lain"
    transition_apply(actor=rm, obj=lead, to="CLOSED_LOST", reason=reason)
    line = TransitionHistory.objects.get(object_id=str(lead.pk))
    assert line.data == {"reason_length": len(reason)}
    row = _audit(lead).last()
    assert row.action == "CLOSE_LEAD" and row.meta["reason_length"] == len(reason)
    assert reason not in str(row.meta) and reason not in str(line.data)
    assert Lead.objects.get(pk=lead.pk).closed_reason == reason  # on the lead, where it belongs


# ------------------------------------------------------------------ refusals change nothing


def _refused(lead, actor, to, code, **data):
    lines, rows = _history(lead), _audit(lead).count()
    with pytest.raises(ServiceError) as refused:
        transition_apply(actor=actor, obj=lead, to=to, **data)
    assert refused.value.code == code
    assert (_history(lead), _audit(lead).count(), _status(lead)) == (lines, rows, "NEW")
    return refused.value


def test_unknown_and_backward_transitions_are_not_allowed(lead, rm):
    for target in ("NEW", "BOGUS", "", "CLOSED_WON\x00"):
        _refused(lead, rm, target, "transition_not_allowed")


def test_a_required_field_must_be_supplied(lead, rm):
    for reason in (None, "", "   "):
        error = _refused(lead, rm, "CLOSED_WON", "field_required", reason=reason)
        assert error.field == "reason" and "reason" in error.message


def test_a_guard_refuses_with_its_own_message(lead, rm):
    with translation.override("id"):
        error = _refused(lead, rm, "CLOSED_WON", "guard_failed", reason="ok")
    assert (error.field, error.message) == (
        "reason",
        "Alasan penutupan wajib diisi (minimal 5 karakter).",
    )


def test_the_table_decides_permission_guard_and_enabled(lead, rm, admin):
    _edit(admin, "NEW", "CONTACTED", permission="workflow.manage")
    with pytest.raises(PermissionDenied):
        transition_apply(actor=rm, obj=lead, to="CONTACTED")
    _edit(admin, "NEW", "QUALIFIED", guard=REFUSE)
    _refused(lead, rm, "QUALIFIED", "guard_failed")
    _edit(admin, "NEW", "CLOSED_WON", enabled=False)
    _refused(lead, rm, "CLOSED_WON", "transition_not_allowed", reason="Buka deposito")
    assert [m.to_status for m in available_transitions(rm, lead)] == ["QUALIFIED", "CLOSED_LOST"]


def test_out_of_scope_and_missing_are_not_found(lead, other_rm, rm):
    with pytest.raises(NotFound):
        transition_apply(actor=other_rm, obj=lead, to="CONTACTED")
    gone = Lead(pk="00000000-0000-0000-0000-000000000000", status="NEW")
    with pytest.raises(NotFound):
        transition_apply(actor=rm, obj=gone, to="CONTACTED")
    assert _history(lead) == [] and _status(lead) == "NEW"


def test_a_failure_after_the_save_rolls_back_status_history_and_audit(lead, rm):
    def explode(*, actor, **payload):
        raise RuntimeError("a handler failed")

    rows = _audit(lead).count()
    with _listening(explode), pytest.raises(RuntimeError):
        transition_apply(actor=rm, obj=lead, to="CONTACTED")
    assert (_status(lead), _history(lead), _audit(lead).count()) == ("NEW", [], rows)


def test_the_callers_rollback_takes_history_and_audit_with_it(lead, rm):
    rows = _audit(lead).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition_apply(actor=rm, obj=lead, to="CONTACTED")
        assert _history(lead) == [("NEW", "CONTACTED")]
        raise RuntimeError("the caller gives up")
    assert (_status(lead), _history(lead), _audit(lead).count()) == ("NEW", [], rows)


# ------------------------------------------------------------------ the moves views offer


def test_views_are_offered_what_the_actor_may_do(lead, rm, supervisor, admin):
    assert [m.to_status for m in available_transitions(rm, lead)] == [
        "CONTACTED",
        "QUALIFIED",
        "CLOSED_WON",
        "CLOSED_LOST",
    ]
    with translation.override("id"):
        close = available_transitions(rm, lead)[-1]
    assert (close.label, close.required_fields) == ("Gagal (lost)", ("reason",))
    with translation.override("en"):  # the stored msgid, translated when shown
        assert available_transitions(rm, lead)[-1].label == "Lost"
    assert available_transitions(admin, lead) == []  # ADMIN holds no lead permission
    assert available_revert(supervisor, lead) is None  # nothing to undo yet


# ------------------------------------------------------------------ revert


def test_revert_is_a_compensating_move_with_a_reason(lead, rm, supervisor):
    lead = transition_apply(actor=rm, obj=lead, to="CONTACTED")
    lead = transition_apply(actor=rm, obj=lead, to="CLOSED_LOST", reason="tidak berminat")
    assert available_revert(rm, lead) is None  # the RM may not reopen
    with pytest.raises(PermissionDenied):
        transition_revert(actor=rm, obj=lead, reason="salah klik")
    with pytest.raises(ServiceError) as no_reason:
        transition_revert(actor=supervisor, obj=lead, reason="  ")
    assert (no_reason.value.code, no_reason.value.field) == ("field_required", "reason")
    assert available_revert(supervisor, lead).to_status == "CONTACTED"

    reopened = transition_revert(actor=supervisor, obj=lead, reason="RM salah klik di papan")
    assert (reopened.status, reopened.closed_at) == ("CONTACTED", None)
    lines = list(TransitionHistory.objects.filter(object_id=str(lead.pk)).order_by("id"))
    assert [(x.from_status, x.to_status) for x in lines] == [
        ("NEW", "CONTACTED"),
        ("CONTACTED", "CLOSED_LOST"),
        ("CLOSED_LOST", "CONTACTED"),  # nothing deleted: the undo is a line of its own
    ]
    assert (lines[2].reverts, lines[2].reason) == (lines[1], "RM salah klik di papan")
    row = _audit(lead).last()
    assert row.action == "REVERT_TRANSITION"
    assert row.meta["revert"] is True and row.meta["reason_length"] == 22
    assert "salah klik" not in str(row.meta)
    assert [h.to_status for h in history_for(supervisor, lead)] == [
        "CONTACTED",
        "CLOSED_LOST",
        "CONTACTED",
    ]

    with pytest.raises(ServiceError) as twice:  # a revert is not itself reverted
        transition_revert(actor=supervisor, obj=reopened, reason="lagi")
    assert twice.value.code == "transition_not_allowed"


def test_revert_only_where_one_is_declared(lead, rm, supervisor):
    won = transition_apply(actor=rm, obj=lead, to="CLOSED_WON", reason="Buka deposito")
    assert available_revert(supervisor, won) is None
    with pytest.raises(ServiceError) as refused:
        transition_revert(actor=supervisor, obj=won, reason="salah catat")
    assert refused.value.code == "transition_not_allowed"
    assert _status(lead) == "CLOSED_WON"


def test_revert_needs_a_move_to_undo(lead, supervisor):
    with pytest.raises(ServiceError) as refused:
        transition_revert(actor=supervisor, obj=lead, reason="tidak ada")
    assert refused.value.code == "transition_not_allowed"
