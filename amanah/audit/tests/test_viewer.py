"""The compliance viewer at /audit/ and its CSV export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amanah.audit.models import AuditAction, AuditLog
from amanah.audit.policies import AUDIT_VIEW
from amanah.audit.selectors import PAGE_SIZE
from amanah.audit.views import CSV_COLUMNS
from amanah.conftest import PASSWORD, sign_in
from amanah.core.roles import RoleKey
from amanah.iam import services as iam
from amanah.iam.models import RolePermission


@pytest.fixture
def compliance(signed_in):
    return signed_in(RoleKey.COMPLIANCE)


@pytest.fixture
def events(write_event, marker):
    """Five events of one object type, on three days, two actions and two actors."""

    def at(day: int) -> datetime:
        return datetime(2026, 3, day, 5, 0, tzinfo=UTC)  # 12:00 WIB

    return {
        "early": write_event(object_type=marker, object_id="1", at=at(1), actor_label="ani"),
        "mid": write_event(
            object_type=marker,
            object_id="2",
            at=at(5),
            actor_label="budi",
            action=AuditAction.EXPORT_DATA,
        ),
        "mid2": write_event(object_type=marker, object_id="3", at=at(5), actor_label="ani"),
        "late": write_event(
            object_type=marker,
            object_id="2",
            at=at(10),
            actor_label="budi",
            action=AuditAction.EXPORT_DATA,
        ),
        "other": write_event(object_type=marker + "X", object_id="2", at=at(5)),
    }


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [row.id for row in response.context["rows"]]


def ids(*logs) -> list[int]:
    """Newest first, as the viewer lists them."""
    return sorted((log.id for log in logs), reverse=True)


# --------------------------------------------------------------------------- who may look


def test_compliance_sees_the_trail(compliance, events, marker):
    client, _user = compliance
    response = client.get("/audit/")
    assert response.status_code == 200
    listed = shown(response)
    assert listed == sorted(listed, reverse=True)
    assert events["late"].id in listed
    assert f'data-testid="row-link">{events["late"].id}</a>' in response.content.decode()
    assert response.context["can_export"] is True
    assert 'data-testid="export"' in response.content.decode()


def test_agent_is_refused(signed_in, branch_a, events):
    client, _user = signed_in(RoleKey.AGENT, branches=[branch_a])
    response = client.get("/audit/")
    assert response.status_code == 403
    assert events["late"].object_type.encode() not in response.content


def test_anonymous_goes_to_login(client, events):
    response = client.get("/audit/?action=LOGIN")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/audit/")


def test_compliance_without_second_factor_goes_to_mfa(make_user, client, events):
    user = make_user(RoleKey.COMPLIANCE)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/mfa/")


# --------------------------------------------------------------------------- filters


def test_filter_by_object_type(compliance, events, marker):
    client, _ = compliance
    e = events
    assert shown(client.get("/audit/", {"object_type": marker})) == ids(
        e["early"], e["mid"], e["mid2"], e["late"]
    )


def test_filter_by_object_type_and_id(compliance, events, marker):
    client, _ = compliance
    response = client.get("/audit/", {"object_type": marker, "object_id": "2"})
    assert shown(response) == ids(events["mid"], events["late"])


def test_filter_by_action(compliance, events, marker):
    client, _ = compliance
    response = client.get("/audit/", {"action": "EXPORT_DATA"})
    listed = shown(response)
    assert {events["mid"].id, events["late"].id} <= set(listed)
    assert events["early"].id not in listed
    assert {row.action for row in response.context["rows"]} == {"EXPORT_DATA"}
    response = client.get("/audit/", {"action": "DEMO_SEED", "object_type": marker})
    assert shown(response) == ids(events["early"], events["mid2"])


def test_filter_by_actor(compliance, events, marker):
    client, _ = compliance
    response = client.get("/audit/", {"actor": "ani", "object_type": marker})
    assert shown(response) == ids(events["early"], events["mid2"])
    response = client.get("/audit/", {"actor": "budi"})
    assert shown(response) == ids(events["mid"], events["late"])


def test_filter_by_date_range(compliance, events, marker):
    client, _ = compliance
    e = events
    both_ends = {"object_type": marker, "date_from": "2026-03-05", "date_to": "2026-03-05"}
    assert shown(client.get("/audit/", both_ends)) == ids(e["mid"], e["mid2"])
    since = {"object_type": marker, "date_from": "2026-03-02"}
    assert shown(client.get("/audit/", since)) == ids(e["mid"], e["mid2"], e["late"])
    until = {"object_type": marker, "date_to": "2026-03-09"}
    assert shown(client.get("/audit/", until)) == ids(e["early"], e["mid"], e["mid2"])


def test_filters_combine(compliance, events, marker):
    client, _ = compliance
    query = {"object_type": marker, "actor": "budi", "date_to": "2026-03-06"}
    assert shown(client.get("/audit/", query)) == [events["mid"].id]
    assert shown(client.get("/audit/", {"object_type": marker, "actor": "nobody"})) == []


# Bad filter input (a message, no query): test_viewer_readable.BAD_FILTERS.


def test_bad_page_marker_never_breaks_the_page(compliance, events, marker):
    client, _ = compliance  # one sign-in for every marker
    for before in ["abc", "-5", "²", "99999999999999999999999999", "9" * 19, ""]:
        response = client.get("/audit/", {"object_type": marker, "before": before})
        assert response.status_code == 200
        assert len(shown(response)) == 4, before


# --------------------------------------------------------------------------- paging


@pytest.fixture
def many(write_event, marker):
    return [write_event(object_type=marker, object_id=str(n)) for n in range(PAGE_SIZE + 12)]


def test_keyset_pagination_walks_everything_once(compliance, many, marker):
    client, _ = compliance
    first = client.get("/audit/", {"object_type": marker})
    page1 = shown(first)
    assert len(page1) == PAGE_SIZE
    assert page1 == ids(*many)[:PAGE_SIZE]
    next_before = first.context["next_before"]
    assert next_before == page1[-1]
    assert f"object_type={marker}&amp;before={next_before}" in first.content.decode()

    second = client.get("/audit/", {"object_type": marker, "before": next_before})
    page2 = shown(second)
    assert page2 == ids(*many)[PAGE_SIZE:]
    assert second.context["next_before"] is None
    assert "before=" not in second.context["query"]


def test_page_is_a_constant_number_of_queries(compliance, write_event, marker):
    client, _ = compliance
    write_event(object_type=marker)
    with CaptureQueriesContext(connection) as few:
        assert len(shown(client.get("/audit/", {"object_type": marker}))) == 1
    for n in range(PAGE_SIZE):
        write_event(object_type=marker, object_id=str(n))
    with CaptureQueriesContext(connection) as full:
        assert len(shown(client.get("/audit/", {"object_type": marker}))) == PAGE_SIZE
    assert len(full) == len(few)


# --------------------------------------------------------------------------- CSV export


def export(client, query) -> tuple[list[str], list[list[str]], object]:
    response = client.get("/audit/export.csv", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    text = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows, response


def test_export_gives_the_filtered_rows_and_is_audited(compliance, events, marker):
    client, user = compliance
    query = {"object_type": marker, "date_from": "2026-03-05"}
    header, rows, response = export(client, query)
    assert header == [c + " (WIB)" if c == "created_at" else c for c in CSV_COLUMNS]
    assert [int(r[0]) for r in rows] == ids(events["mid"], events["mid2"], events["late"])
    late = dict(zip(header, rows[0], strict=True))
    assert (late["action"], late["object_type"], late["object_id"]) == ("EXPORT_DATA", marker, "2")
    assert (late["actor_username"], late["hash"]) == ("budi", events["late"].hash)

    logged = AuditLog.objects.filter(action=AuditAction.EXPORT_AUDIT).get()
    assert logged.actor_username == user.username
    assert logged.actor_role == RoleKey.COMPLIANCE
    assert (logged.object_type, logged.object_id) == ("AUDIT_LOG", "export")
    assert logged.meta == {"filters": {"object_type": marker, "date_from": "2026-03-05"}, "rows": 3}
    assert logged.ip == "127.0.0.1"
    assert logged.request_id == response["X-Request-ID"]
    # The export's own record is not part of the file it produced.
    assert logged.id not in [int(r[0]) for r in rows]


def test_export_of_nothing_is_a_header_and_still_audited(compliance, marker):
    client, _ = compliance
    header, rows, _response = export(client, {"object_type": marker, "actor": "nobody"})
    assert len(header) == len(CSV_COLUMNS) and rows == []
    logged = AuditLog.objects.get(action=AuditAction.EXPORT_AUDIT)
    assert logged.meta == {"filters": {"object_type": marker, "actor": "nobody"}, "rows": 0}


@pytest.mark.parametrize("role", [RoleKey.SUPERVISOR, RoleKey.AGENT])
def test_export_is_refused_to_other_roles_and_not_recorded(signed_in, branch_a, events, role):
    client, _user = signed_in(role, branches=[branch_a])
    response = client.get("/audit/export.csv")
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT_AUDIT).exists()


def test_anonymous_export_goes_to_login(client, events):
    response = client.get("/audit/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT_AUDIT).exists()


def test_viewing_without_export_permission_hides_the_button(system, make_user, events, marker):
    # Grant only audit.view to SUPERVISOR through the matrix, as an ADMIN would.
    grants = set(RolePermission.objects.values_list("role_id", "permission"))
    iam.rbac_matrix_save(actor=system, grants=grants | {(RoleKey.SUPERVISOR.value, AUDIT_VIEW)})
    user = make_user(RoleKey.SUPERVISOR)
    client = sign_in(Client(), user)
    response = client.get("/audit/", {"object_type": marker})
    assert shown(response) == ids(events["early"], events["mid"], events["mid2"], events["late"])
    assert response.context["can_export"] is False
    assert 'data-testid="export"' not in response.content.decode()
    assert client.get("/audit/export.csv").status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT_AUDIT).exists()


def test_export_with_an_invalid_filter_exports_nothing(make_user):
    from django.test import Client

    from amanah.audit.models import AuditLog
    from amanah.conftest import sign_in
    from amanah.core.roles import RoleKey

    client = sign_in(Client(), make_user(RoleKey.COMPLIANCE))
    response = client.get("/audit/export.csv?date_from=notadate")
    assert response.status_code == 302 and response["Location"].startswith("/audit/")
    assert not AuditLog.objects.filter(action="EXPORT_AUDIT").exists()
