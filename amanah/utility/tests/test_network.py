"""Service areas and SPAM: saving (audited), utilisation and the capacity warning, pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.utility import selectors, services, testing
from amanah.utility.models import ServiceArea


def test_area_and_spam_saved_and_audited(db, system):
    testing.spam("SPAM9", capacity="50.5")
    area = testing.area("W9", spam_code="SPAM9", polygon=[[3.5, 98.6], [3.6, 98.6], [3.6, 98.7]])
    assert area.spam.code == "SPAM9" and len(area.polygon) == 3
    assert AuditLog.objects.filter(action="CHANGE_UTILITY_NETWORK").count() == 2
    again = testing.area("w9", spam_code="", radius_m=500)  # by code, case-insensitive
    assert again.pk == area.pk and again.spam is None and again.radius_m == 500


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("polygon", [[3.5, 98.6]], "polygon_invalid"),
        ("polygon", [[91, 98.6], [3.6, 98.6], [3.6, 98.7]], "polygon_invalid"),
        ("polygon", "[[1,2]]", "polygon_invalid"),
        ("centre_lat", "abc", "centre_lat_invalid"),
        ("centre_lat", "NaN", "centre_lat_invalid"),
        ("radius_m", 0, "radius_m_invalid"),
        ("spam_code", "NOPE", "spam_unknown"),
    ],
)
def test_area_hostile_values_are_refused(db, field, value, code):
    testing.spam()
    with pytest.raises(ServiceError) as refused:
        testing.area("WX", **{field: value})
    assert refused.value.code == code
    assert not ServiceArea.objects.filter(code="WX").exists()


def test_utilisation_and_capacity_warning(db, branch_a, settings):
    settings.UTILITY_DEMAND_LPS = "0.5"
    testing.tariff()
    testing.spam("SPAM1", capacity="1")  # two connections fill it
    testing.area("W1", spam_code="SPAM1")
    testing.connection(branch_a)
    load = selectors.spam_load(testing.ServiceArea.objects.get(code="W1").spam)
    assert (load.active_connections, load.utilisation_pct) == (1, 50)
    second = testing.connection(branch_a, active=False)
    result = services.connection_status_set(
        actor=testing.SYSTEM, connection_id=second.pk, status="ACTIVE"
    )
    assert result.warnings == []  # exactly 100 %
    third = testing.connection(branch_a, active=False)
    result = services.connection_status_set(
        actor=testing.SYSTEM, connection_id=third.pk, status="ACTIVE"
    )
    assert "melebihi kapasitas" in result.warnings[0]  # a warning, not a refusal
    settings.UTILITY_REFUSE_OVER_CAPACITY = True
    fourth_customer = None
    with pytest.raises(ServiceError) as refused:
        fourth_customer = testing.connection(branch_a)
    assert refused.value.code == "spam_over_capacity" and fourth_customer is None


def test_network_page_shows_utilisation_and_coverage(db, branch_a, make_user):
    testing.connection(branch_a)
    testing.connection(branch_a, lat="4.500000", lon="98.673000")  # far outside W1
    client = sign_in(__import__("django.test", fromlist=["Client"]).Client(), make_user(R.DIRECTOR))
    page = client.get(reverse("utility:network"))
    assert page.status_code == 200
    coverage, loads = selectors.network(make_user(R.ADMIN))
    assert (coverage[0].active, coverage[0].outside_radius) == (2, 1)
    assert loads[0].active_connections == 2
    assert b"SPAM1" in page.content and b"W1" in page.content


def test_admin_edits_area_through_the_form_and_hostile_json_is_a_400(db, make_user):
    testing.spam()
    client = sign_in(__import__("django.test", fromlist=["Client"]).Client(), make_user(R.ADMIN))
    form = {
        "code": "W2",
        "name": "Wilayah Dua",
        "centre_lat": "3.6",
        "centre_lon": "98.7",
        "radius_m": "1500",
        "polygon": "[[3.5, 98.6], [3.6, 98.6], [3.6, 98.7]]",
        "spam_code": "SPAM1",
        "active": "on",
    }
    assert client.post(reverse("utility:area_new"), form).status_code == 303
    assert ServiceArea.objects.get(code="W2").spam.code == "SPAM1"
    bad = client.post(reverse("utility:area_new"), {**form, "code": "W3", "polygon": "[[1,"})
    assert bad.status_code == 400
    worse = client.post(reverse("utility:area_new"), {**form, "code": "W3", "polygon": '{"a": 1}'})
    assert worse.status_code == 400
    assert not ServiceArea.objects.filter(code="W3").exists()
