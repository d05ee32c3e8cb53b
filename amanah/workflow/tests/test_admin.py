"""Declared workflows reach the tables once; ADMIN's edits win and are audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import translation

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.registry import DuplicateRegistration
from amanah.workflow.models import Transition, Workflow
from amanah.workflow.registry import WorkflowSpec, declare_workflow, register_guard
from amanah.workflow.services import transition_update, workflow_sync
from amanah.workflow.tests.conftest import REFUSE


def _row(frm="NEW", to="CONTACTED") -> Transition:
    return Transition.objects.get(workflow__key="sales.lead", from_status=frm, to_status=to)


def test_every_declared_transition_is_in_the_tables(db):
    for key, spec in registry.workflows.items():
        stored = set(
            Transition.objects.filter(workflow__key=key).values_list(
                "from_status", "to_status", "is_revert"
            )
        )
        declared = {(str(t.from_status), str(t.to_status), t.is_revert) for t in spec.transitions}
        assert stored == declared, key
    lead = Workflow.objects.get(key="sales.lead")
    assert (lead.model, lead.status_field) == ("sales.Lead", "status")


def test_sync_is_idempotent_and_admin_edits_win(admin):
    assert workflow_sync() == []  # migrate already synced
    transition_update(
        actor=admin, transition=_row(), permission="lead.view", guard=REFUSE, enabled=False
    )
    rows_before = Transition.objects.count()
    assert workflow_sync() == []
    row = _row()
    assert (row.permission, row.guard, row.enabled) == ("lead.view", REFUSE, False)
    assert Transition.objects.count() == rows_before

    # A default that is missing from the table (e.g. newly declared) is added, once, audited.
    _row("CONTACTED", "QUALIFIED").delete()
    assert workflow_sync() == ["sales.lead:CONTACTED>QUALIFIED"]
    assert workflow_sync() == []
    seeded = AuditLog.objects.filter(action="CHANGE_WORKFLOW", object_id="defaults").last()
    assert seeded.meta == {"seeded": ["sales.lead:CONTACTED>QUALIFIED"]}


def test_admin_edit_is_audited_with_before_and_after(admin):
    row = transition_update(
        actor=admin, transition=_row(), permission="lead.update", guard=REFUSE, enabled=True
    )
    assert row.guard == REFUSE
    log = AuditLog.objects.filter(action="CHANGE_WORKFLOW", object_id=str(row.pk)).get()
    assert log.actor_username == admin.username
    assert log.meta == {
        "workflow": "sales.lead",
        "from": "NEW",
        "to": "CONTACTED",
        "before": {"permission": "lead.update", "guard": "", "enabled": True},
        "after": {"permission": "lead.update", "guard": REFUSE, "enabled": True},
    }
    # Saving the same values again changes nothing and records nothing.
    transition_update(
        actor=admin, transition=row, permission="lead.update", guard=REFUSE, enabled=True
    )
    assert AuditLog.objects.filter(action="CHANGE_WORKFLOW", object_id=str(row.pk)).count() == 1


@pytest.mark.parametrize(
    ("permission", "guard", "code"),
    [
        ("lead.nope", "", "permission_unknown"),
        ("", "", "permission_unknown"),
        ("lead.update", "no.such.guard", "guard_unknown"),
        ("lead.update\x00", "", "permission_unknown"),
    ],
)
def test_admin_edit_refuses_unknown_names(admin, permission, guard, code):
    with pytest.raises(ServiceError) as refused:
        transition_update(
            actor=admin, transition=_row(), permission=permission, guard=guard, enabled=True
        )
    assert refused.value.code == code
    assert (_row().permission, _row().guard) == ("lead.update", "")
    assert not AuditLog.objects.filter(action="CHANGE_WORKFLOW", object_id=str(_row().pk))


def test_only_workflow_managers_edit(make_user, branch_a):
    from amanah.core.roles import RoleKey as R

    compliance = make_user(R.COMPLIANCE)
    with pytest.raises(PermissionDenied):
        transition_update(
            actor=compliance, transition=_row(), permission="lead.view", guard="", enabled=True
        )


def test_admin_page_lists_and_edits_transitions(admin):
    client = sign_in(Client(), admin)
    page = client.get("/workflow/").content.decode()
    assert 'data-testid="workflow-sales.lead"' in page
    assert 'data-testid="workflow-sales.opportunity"' in page
    assert "sales.lead.has_close_reason" in page
    row = _row()
    done = client.post(
        f"/workflow/transitions/{row.pk}/", {"permission": "lead.update", "guard": ""}
    )  # "enabled" unchecked: switched off
    assert (done.status_code, done["Location"]) == (303, "/workflow/")
    assert _row().enabled is False
    refused = client.post(
        f"/workflow/transitions/{row.pk}/", {"permission": "nope", "enabled": "1"}
    )  # a refused button-style action: flash + 303 back, nothing changed
    assert (refused.status_code, refused["Location"]) == (303, "/workflow/")
    assert "Izin tidak dikenal." in client.get("/workflow/").content.decode()
    assert _row().enabled is False and _row().permission == "lead.update"


def test_english_locale_smoke(admin):
    client = sign_in(Client(), admin)
    client.cookies["django_language"] = "en"
    # The middleware activates English on this thread; override() puts the language back.
    with translation.override(translation.get_language()):
        page = client.get("/workflow/")
    assert page.status_code == 200 and b"sales.lead" in page.content
    assert b"<td>Lost</td>" in page.content  # the stored label, translated when shown


def test_editing_a_missing_transition_is_not_found(admin):
    client = sign_in(Client(), admin)
    response = client.post("/workflow/transitions/999999999/", {"permission": "lead.update"})
    assert response.status_code == 404


def test_workflows_and_guards_are_declared_once():
    lead = registry.workflows.get("sales.lead")
    with pytest.raises(DuplicateRegistration):
        declare_workflow(lead)
    with pytest.raises(DuplicateRegistration):  # nor a second workflow for the same model
        declare_workflow(WorkflowSpec("x.lead", lead.model, "status", "x", transitions=()))
    with pytest.raises(DuplicateRegistration):
        register_guard(REFUSE, lambda obj, data: True, message="x")
