"""The calendar pages as an ADMIN uses them (permissions are in core's ViewCase table)."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from amanah.calendars import services
from amanah.calendars.models import BranchCalendar, BusinessCalendar, CalendarDay
from amanah.calendars.schedules import default_calendar
from amanah.core.roles import RoleKey as R


@pytest.fixture
def admin_client(signed_in, branch_a):
    client, _user = signed_in(R.ADMIN, branches=[branch_a])
    return client


def _detail(calendar):
    return reverse("calendars:detail", kwargs={"calendar_id": calendar.pk})


def test_list_shows_calendars_and_branches(admin_client, branch_a):
    page = admin_client.get(reverse("calendars:list")).content.decode()
    assert "Kalender Standar Nasional" in page and "MDN01" in page and "bawaan" in page


def test_detail_shows_the_week_and_the_national_holidays(admin_client):
    page = admin_client.get(_detail(default_calendar()) + "?year=2026").content.decode()
    assert 'value="08:00-11:30, 13:30-16:00"' in page  # Friday
    assert "Hari Suci Nyepi" in page and "Cuti Bersama Hari Raya Idul Fitri" in page


def test_a_year_without_cuti_bersama_in_the_package_is_named(admin_client):
    """The locked holidays package sets cuti bersama up to 2027 only: from 2028 the page tells
    the administrator to enter them, or they would count as working days."""
    url = _detail(default_calendar())
    assert (
        'data-testid="cuti-bersama-unknown"'
        not in admin_client.get(url + "?year=2026").content.decode()
    )
    page = admin_client.get(url + "?year=2099").content.decode()
    assert 'data-testid="cuti-bersama-unknown"' in page and "Cuti bersama 2099" in page


def test_preview_computes_the_due_time_in_the_calendars_zone(admin_client):
    # Friday 29 May 2026 19:45 WIB + 8 working hours, over Waisak and Hari Lahir Pancasila.
    url = _detail(default_calendar()) + "?start=2026-05-29T19:45&amount=8&unit=hours"
    page = admin_client.get(url).content.decode()
    assert 'data-testid="due">Rabu, 3 Juni 2026 09:00 WIB' in page
    assert "2026-06-03 02:00 UTC" in page


def test_preview_in_working_days_to_the_end_of_the_day(admin_client):
    url = _detail(default_calendar()) + "?start=2026-03-13T18:00&amount=5&unit=days_end"
    page = admin_client.get(url).content.decode()
    assert 'data-testid="due">Senin, 30 Maret 2026 16:00 WIB' in page


def test_preview_with_bad_input_explains(admin_client):
    page = admin_client.get(_detail(default_calendar()) + "?start=kemarin&amount=-1&unit=hours")
    assert page.status_code == 200
    assert 'class="form-error"' in page.content.decode()


def test_create_and_edit_a_calendar(admin_client):
    response = admin_client.post(
        reverse("calendars:create"),
        {"name": "Wilayah Timur", "timezone": "Asia/Jayapura", "national_holidays": "on"},
    )
    calendar = BusinessCalendar.objects.get(name="Wilayah Timur")
    assert response.status_code == 303 and response["Location"] == _detail(calendar)
    assert not calendar.cuti_bersama and calendar.windows.count() == 10
    response = admin_client.post(
        _detail(calendar),
        {"name": "Wilayah Papua", "timezone": "Asia/Jayapura", "is_active": "on"},
    )
    assert response.status_code == 303
    calendar.refresh_from_db()
    assert calendar.name == "Wilayah Papua" and not calendar.national_holidays


def test_edit_refusal_is_shown_on_the_form(admin_client):
    response = admin_client.post(
        _detail(default_calendar()),
        {"name": "Kalender Standar Nasional", "timezone": "Asia/Jakarta", "make_default": "on"},
    )
    assert response.status_code == 400
    assert "tidak boleh dinonaktifkan" in response.content.decode()
    assert default_calendar().is_active


def test_set_windows_from_text(admin_client):
    calendar = default_calendar()
    response = admin_client.post(
        reverse("calendars:set_windows", kwargs={"calendar_id": calendar.pk}),
        {"weekday": "5", "windows": "08.00 - 12.00; 13:00–14:00"},
        follow=True,
    )
    assert "Jam kerja hari Sabtu disimpan." in response.content.decode()
    assert [(w.start_time, w.end_time) for w in calendar.windows.filter(weekday=5)] == [
        (time(8), time(12)),
        (time(13), time(14)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("08:00-12:00, 11:00-13:00", "bertumpuk"),
        ("pagi saja", "Format jam kerja"),
        ("25:00-26:00", "Jam tidak valid"),
    ],
)
def test_bad_windows_are_explained_and_change_nothing(admin_client, text, message):
    calendar = default_calendar()
    response = admin_client.post(
        reverse("calendars:set_windows", kwargs={"calendar_id": calendar.pk}),
        {"weekday": "0", "windows": text},
        follow=True,
    )
    assert message in response.content.decode()
    assert calendar.windows.filter(weekday=0).count() == 2


def test_add_and_remove_a_day(admin_client):
    calendar = default_calendar()
    url = reverse("calendars:add_day", kwargs={"calendar_id": calendar.pk})
    data = {"date": "2026-04-10", "kind": "REGIONAL_HOLIDAY", "name": "Hari jadi kota"}
    admin_client.post(url, data)
    day = CalendarDay.objects.get(calendar=calendar, date=date(2026, 4, 10))
    again = admin_client.post(url, data, follow=True).content.decode()
    assert "sudah tercatat" in again
    admin_client.post(
        reverse("calendars:remove_day", kwargs={"calendar_id": calendar.pk, "day_id": day.pk})
    )
    assert not CalendarDay.objects.filter(pk=day.pk).exists()


def test_assign_branch_refuses_another_zone(admin_client, system, branch_a):
    wita = services.calendar_create(actor=system, name="Sulawesi", timezone_name="Asia/Makassar")
    url = reverse("calendars:assign_branch", kwargs={"branch_id": branch_a.pk})
    page = admin_client.post(url, {"calendar": str(wita.pk)}, follow=True).content.decode()
    assert "MDN01: Zona waktu kalender (WITA) berbeda" in page
    assert not BranchCalendar.objects.exists()
    wib = services.calendar_create(actor=system, name="Sumatera", timezone_name="Asia/Jakarta")
    admin_client.post(url, {"calendar": str(wib.pk)})
    assert BranchCalendar.objects.get(branch=branch_a).calendar == wib


def test_a_refused_branch_assignment_names_the_branch_and_goes_back(admin_client, system, branch_a):
    wita = services.calendar_create(actor=system, name="Sulawesi", timezone_name="Asia/Makassar")
    url = reverse("calendars:assign_branch", kwargs={"branch_id": branch_a.pk})
    refused = admin_client.post(url, {"calendar": str(wita.pk)})
    assert (refused.status_code, refused["Location"]) == (303, reverse("calendars:list"))
    page = admin_client.get(refused["Location"]).content.decode()
    assert "MDN01: Zona waktu kalender (WITA) berbeda" in page
    assert not BranchCalendar.objects.exists()
