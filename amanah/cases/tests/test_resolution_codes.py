"""Resolution codes come from a configured list (data, Indonesian and English labels): the
resolve move (the final response) requires one and refuses free text; moves that cannot be
undone (resolve, close, cancel as duplicate) ask for a confirmation on the page; nothing is
preselected."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity, ResolutionCode
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.workflow.models import Transition

ANSWER = "Dana Rp 2.500.000 telah dikembalikan ke rekening Anda."


def _final(client, case, **data):
    return client.post(reverse("cases:final_response", args=[case.pk]), data)


def test_the_list_ships_with_indonesian_and_english_labels(db):
    codes = dict(ResolutionCode.objects.values_list("code", "label"))
    assert codes["REFUND"] == "Dana dikembalikan"
    assert {"REFUND", "CORRECTED", "EXPLAINED", "NOT_PROVEN"} <= set(codes)
    assert not ResolutionCode.objects.filter(label_en="").exists()


def test_the_final_response_form_offers_the_list_with_nothing_chosen(open_case, agent):
    case = open_case()
    page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk])).content.decode()
    form = page[page.index('data-testid="final-response-form"') :]
    form = form[: form.index("</form>")]
    assert '<option value="REFUND">Dana dikembalikan</option>' in form
    # nothing chosen (the placeholder), nothing ticked
    assert not re.search(r'value="[A-Z_]+" selected', form)
    assert 'type="checkbox" name="confirm" required' in form and "checked" not in form


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"final_response": ANSWER, "resolution_code": "REFUND"}, "confirm", "Centang konfirmasi"),
        ({"final_response": ANSWER, "confirm": "on"}, "resolution_code", "Pilih kode"),
        (
            {"final_response": ANSWER, "resolution_code": "SUDAH BERES", "confirm": "on"},
            "resolution_code",
            "tidak ada dalam daftar",
        ),
        (
            {"final_response": ANSWER, "resolution_code": "R\x00", "confirm": "on"},
            None,
            "",
        ),
        (
            {"final_response": ANSWER, "resolution_code": "X" * 500, "confirm": "on"},
            "resolution_code",
            "",
        ),
        ({"final_response": "pendek", "resolution_code": "REFUND", "confirm": "on"}, None, ""),
    ],
)
def test_the_resolve_move_needs_a_listed_code_and_a_confirmation(
    open_case, agent, data, field, text
):
    case = open_case()
    client = sign_in(Client(), agent)
    before = AuditLog.objects.count()
    response = _final(client, case, **data)
    assert response.status_code == 400
    if text:
        assert text in response.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "NEW" and fresh.final_response is None and not fresh.resolution_code
    assert AuditLog.objects.count() == before


def test_resolve_with_a_code_then_close_with_a_confirmation(open_case, agent):
    case = open_case()
    client = sign_in(Client(), agent)
    response = _final(client, case, final_response=ANSWER, resolution_code=" refund ", confirm="on")
    assert response.status_code == 303
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.resolution_code) == ("RESOLVED", "REFUND")
    line = CaseActivity.objects.get(case=case, activity_type="FINAL_RESPONSE")
    assert line.meta == {"from": "NEW", "to": "RESOLVED", "resolution_code": "REFUND"}
    audit = AuditLog.objects.filter(action="FINAL_RESPONSE", object_id=str(case.pk)).get()
    assert audit.meta["resolution_code"] == "REFUND" and ANSWER not in str(audit.meta)

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert re.search(r'data-testid="resolution-code">Dana dikembalikan<', page)
    assert "Baru → Selesai (jawaban akhir)" in page  # the log says from → to
    assert "sisa " not in page  # the SLA clock stopped at the final response

    url = reverse("cases:close", args=[case.pk])
    assert client.post(url, {}).status_code == 400  # not confirmed
    assert Case.objects.get(pk=case.pk).status == "RESOLVED"
    assert client.post(url, {"confirm": "on"}).status_code == 303
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.resolution_code) == ("CLOSED", "REFUND")

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Funds refunded" in page


def test_close_keeps_the_code_of_the_final_response(open_case, agent):
    case = cases.case_final_response(
        actor=agent, case=open_case(), text=ANSWER, resolution_code="EXPLAINED"
    )
    with pytest.raises(ServiceError) as other:
        cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    assert other.value.code == "resolution_code_mismatch"
    case = cases.case_close(actor=agent, case=case)
    assert case.resolution_code == "EXPLAINED"


def test_a_case_resolved_before_codes_takes_one_from_the_list_at_close(open_case, agent):
    case = cases.case_final_response(
        actor=agent, case=open_case(), text=ANSWER, resolution_code="REFUND"
    )
    Case.objects.filter(pk=case.pk).update(resolution_code="")  # as resolved before codes
    case = Case.objects.get(pk=case.pk)
    for code, refusal in (("", "resolution_code_required"), ("BEBAS", "resolution_code_invalid")):
        with pytest.raises(ServiceError) as refused:
            cases.case_close(actor=agent, case=case, resolution_code=code)
        assert refused.value.code == refusal
    page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk])).content.decode()
    close = page[page.index('data-testid="close-form"') :]
    assert 'name="resolution_code"' in close[: close.index("</form>")]
    assert cases.case_close(actor=agent, case=case, resolution_code="refund").status == "CLOSED"


def test_a_retired_code_is_no_longer_offered_or_taken(open_case, agent, make_user):
    admin = make_user(R.ADMIN)
    cases.resolution_code_save(
        actor=admin, code="GOODWILL", label="Kebijakan baik", label_en="Goodwill", position=5
    )
    assert AuditLog.objects.filter(action="CHANGE_WORKFLOW", meta__resolution_code="GOODWILL")
    cases.resolution_code_save(actor=admin, code="GOODWILL", label="Kebijakan baik", active=False)
    case = open_case()
    page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "GOODWILL" not in page
    with pytest.raises(ServiceError) as refused:
        cases.case_final_response(actor=agent, case=case, text=ANSWER, resolution_code="GOODWILL")
    assert refused.value.code == "resolution_code_invalid"


@pytest.mark.parametrize(
    "data",
    [
        {"code": "", "label": "x"},
        {"code": "A B", "label": "x"},
        {"code": "KODE", "label": ""},
        {"code": "KODE", "label": "x" * 81},
        {"code": "K\x00", "label": "x"},
        {"code": "KÖDE", "label": "x"},
        {"code": "KODE", "label": "x", "position": "-1"},
        {"code": "KODE", "label": "x", "position": "abc"},
    ],
)
def test_the_admin_page_refuses_bad_codes_without_a_5xx(make_user, data):
    client = sign_in(Client(), make_user(R.ADMIN))
    response = client.post(
        reverse("cases:sla_settings"), {"form": "resolution", "position": "0", **data}
    )
    assert response.status_code == 400
    assert not ResolutionCode.objects.filter(code__in=["KODE", "A B", "KÖDE"]).exists()


def test_the_admin_page_adds_a_code(make_user):
    client = sign_in(Client(), make_user(R.ADMIN))
    page = client.get(reverse("cases:sla_settings")).content.decode()
    assert 'data-testid="resolution-codes"' in page and "Dana dikembalikan" in page
    response = client.post(
        reverse("cases:sla_settings"),
        {"form": "resolution", "code": "chargeback", "label": "Chargeback", "position": "3",
         "active": "on"},
    )  # fmt: skip
    assert response.status_code == 303
    assert ResolutionCode.objects.get(code="CHARGEBACK").active


def test_an_agent_may_not_configure_codes(agent):
    client = sign_in(Client(), agent)
    response = client.post(
        reverse("cases:sla_settings"), {"form": "resolution", "code": "X", "label": "x"}
    )
    assert response.status_code == 403
    with pytest.raises(Exception):  # noqa: B017 — PermissionDenied
        cases.resolution_code_save(actor=agent, code="X", label="x")


def test_the_migration_moves_the_default_resolve_rows_and_leaves_edited_ones(db):
    migration = importlib.import_module("amanah.cases.migrations.0008_resolution_codes_and_replies")
    rows = Transition.objects.filter(workflow__key="cases.case", to_status="RESOLVED")
    assert set(rows.values_list("guard", flat=True)) == {migration.NEW_GUARD}
    default, edited, *_ = rows.order_by("id")
    Transition.objects.filter(pk=default.pk).update(
        guard=migration.OLD_GUARD, required_fields=["final_response"]
    )
    Transition.objects.filter(pk=edited.pk).update(guard="", required_fields=["final_response"])
    migration.resolve_needs_a_code(apps, None)
    default.refresh_from_db()
    edited.refresh_from_db()
    assert (default.guard, default.required_fields) == (
        migration.NEW_GUARD,
        ["final_response", "resolution_code"],
    )
    assert (edited.guard, edited.required_fields) == ("", ["final_response"])


def test_the_case_page_reads_the_codes_and_the_workflow_once_and_builds_only_allowed_forms(
    open_case, agent, supervisor
):
    """The page reads the resolution codes (two forms and the case's own code) and the
    workflow row (moves by status and the case's moves) once each; a move's form is built
    only for who may make the move."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = open_case()
    cases.case_final_response(
        actor=agent, case=case, text=ANSWER, resolution_code="REFUND"
    )  # RESOLVED with a code: the close form and the code's label both show
    url = reverse("cases:detail", args=[case.pk])
    sup = sign_in(Client(), supervisor)
    with CaptureQueriesContext(connection) as seen:
        response = sup.get(url)
    assert response.status_code == 200
    assert response.context["close_form"] is not None
    assert 'data-testid="resolution-label">Dana dikembalikan<' in response.content.decode()
    sql = [q["sql"] for q in seen.captured_queries]
    assert sum('FROM "cases_resolutioncode"' in s for s in sql) == 1
    assert sum('FROM "workflow_workflow"' in s for s in sql) == 1
    # A resolved case: nobody responds again; the agent may not tag a root cause.
    for client in (sup, sign_in(Client(), agent)):
        page = client.get(url)
        assert page.status_code == 200
        can = page.context["can"]
        assert not can["respond"] and page.context["final_form"] is None
        assert 'data-testid="final-response-form"' not in page.content.decode()
        for move, form in (
            ("close", "close_form"),
            ("reopen", "reopen_form"),
            ("duplicate", "duplicate_form"),
            ("root_cause", "root_cause_form"),
            ("update", "note_form"),
        ):
            assert (page.context[form] is not None) == bool(can[move]), move
    agent_page = sign_in(Client(), agent).get(url)
    assert not agent_page.context["can"]["root_cause"]
    assert agent_page.context["root_cause_form"] is None
