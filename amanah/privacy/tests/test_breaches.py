"""Personal-data breach incidents: the 3×24 h notification deadline, shown with the zone and
flagged overdue on the compliance dashboard's panel and the incident list; notification and
closing through the workflow engine, audited; hostile input never a 5xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.privacy import selectors, services
from amanah.privacy.models import BreachIncident, BreachStatus


@pytest.fixture
def officers(make_user):
    return make_user(R.COMPLIANCE), make_user(R.COMPLIANCE)


def _record(actor, *, hours_ago: float, title="Email salah kirim"):
    return services.breach_record(
        actor=actor,
        title=title,
        description="Laporan mutasi terkirim ke alamat yang salah.",
        data_categories="nama, nomor rekening",
        subjects_affected=12,
        discovered_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_the_deadline_is_three_times_24_hours_after_discovery(officers):
    officer, _ = officers
    incident = _record(officer, hours_ago=10)
    assert incident.notify_by - incident.discovered_at == timedelta(hours=72)
    assert not incident.overdue()
    row = AuditLog.objects.get(action="RECORD_BREACH")
    assert row.object_id == str(incident.pk) and row.meta["count"] == 12


def test_the_compliance_dashboard_shows_the_timer_with_zone_and_flags_overdue(officers):
    officer, _ = officers
    late = _record(officer, hours_ago=80, title="Akses tanpa izin ke berkas")
    soon = _record(officer, hours_ago=70, title="Email salah kirim")
    panel = selectors.breach_panel(officer, timezone.now())
    assert [t.incident for t in panel["timers"]] == [late, soon]  # nearest deadline first
    assert [t.overdue for t in panel["timers"]] == [True, False]
    assert panel["timers"][1].hours_left == 1

    client = sign_in(Client(), officer)
    home = client.get(reverse("core:home"))  # compliance's home page is its dashboard
    page = client.get(reverse("dashboards:compliance"))
    for response in (home, page):
        text = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="panel-privacy.breach_timer"' in text
        deadline = date_format(timezone.localtime(late.notify_by), "j M Y H:i T")
        assert deadline.endswith(" WIB") and deadline in text
        assert text.count('data-testid="overdue"') == 1


def test_notify_then_close_through_the_workflow_a_late_notice_stays_flagged(officers):
    officer, other = officers
    incident = _record(officer, hours_ago=75)
    with pytest.raises(ServiceError) as refused:
        services.breach_close(actor=officer, incident=incident)  # not notified yet
    assert refused.value.code == "transition_not_allowed"
    with pytest.raises(ServiceError):
        services.breach_notify(actor=officer, incident=incident, note="")
    services.breach_notify(
        actor=other, incident=incident, note="Nasabah dan lembaga diberi tahu lewat surat."
    )
    incident.refresh_from_db()
    assert incident.status == BreachStatus.NOTIFIED and incident.notified_by == other
    assert incident.overdue()  # notified after the deadline: late, kept on record
    notice = AuditLog.objects.get(action="NOTIFY_BREACH")
    assert notice.meta["late"] is True
    services.breach_close(actor=officer, incident=incident)
    incident.refresh_from_db()
    assert incident.status == BreachStatus.CLOSED and incident.closed_at is not None
    assert selectors.breach_panel(officer, timezone.now())["timers"] == []


def test_only_a_permitted_role_records_or_sees(make_user, officers):
    agent = make_user(R.AGENT)
    with pytest.raises(PermissionDenied):
        _record(agent, hours_ago=1)
    with pytest.raises(PermissionDenied):
        selectors.breach_list(actor=agent)
    client = sign_in(Client(), agent)
    assert client.get(reverse("privacy:breach_list")).status_code == 403
    assert client.get(reverse("dashboards:compliance")).status_code == 403


@pytest.mark.parametrize(
    "when",
    ["2999-01-01T10:00", "1999-01-01T10:00", "9999-12-31T23:59", "kemarin", "", "\x00"],
)
def test_a_bad_discovery_time_is_refused_clearly_never_5xx(officers, when):
    officer, _ = officers
    client = sign_in(Client(), officer)
    response = client.post(
        reverse("privacy:breach_create"),
        {
            "title": "Email salah kirim",
            "description": "Laporan mutasi terkirim ke alamat yang salah.",
            "data_categories": "nama",
            "subjects_affected": "3",
            "discovered_at": when,
        },
    )
    assert response.status_code == 400
    assert not BreachIncident.objects.exists()


def test_the_page_records_an_incident_in_the_readers_zone(officers):
    officer, _ = officers
    client = sign_in(Client(), officer)
    local = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("privacy:breach_create"),
        {
            "title": "Email salah kirim",
            "description": "Laporan mutasi terkirim ke alamat yang salah.",
            "data_categories": "nama",
            "subjects_affected": "3",
            "discovered_at": local,
        },
    )
    assert response.status_code == 303
    incident = BreachIncident.objects.get()
    assert timezone.localtime(incident.discovered_at).strftime("%Y-%m-%dT%H:%M") == local
    listing = client.get(reverse("privacy:breach_list")).content.decode()
    assert timezone.localtime(incident.notify_by).strftime("%H:%M") + " WIB" in listing
