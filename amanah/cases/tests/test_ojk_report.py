"""The OJK complaint report and register (cases.ojk) on a hand-computed May 2026 fixture.

Branch MDN01 works by the default calendar (Mon–Thu 08–12, 13–16; Fri 08–11.30, 13.30–16)
with national holidays and cuti bersama. May 2026 has 1 May (Labour Day), 14–15 May
(Ascension + cuti bersama), 27–28 May (Idul Adha + cuti bersama); 1 June is Pancasila Day.
From a complaint received Mon 4 May the working days are 5 (1), 6, 7, 8, 11, 12, 13,
18 (8), 19, 20 May (10), 21, 22, 25, 26, 29 May (15), 2, 3, 4, 5 June (19), 8 June (20).
Without the holidays 20 May would be day 12 and 8 June day 25.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanah.audit.models import AuditLog
from amanah.calendars import worktime
from amanah.calendars.schedules import schedule_for_branch
from amanah.cases import ojk
from amanah.cases import services as cases
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

FINAL = "Dana Rp 2.500.000 sudah dikembalikan ke rekening nasabah."
MAY = ojk.Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
NOW = dt.datetime(2026, 6, 9, 12, 0, tzinfo=WIB)  # day 21 of a complaint of 4 May


def _wib(day, hour, minute=0):
    return dt.datetime(2026, *day, hour, minute, tzinfo=WIB)


@pytest.fixture
def may(customer, agent, supervisor):
    """Eight complaints; the expected reading of each is written next to it."""

    def complaint(when, product, channel, *, resolved=None, extended=None):
        with at(when):
            case = cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel=channel,
                    category_code="TRX_FAIL",
                    priority="MEDIUM",
                    description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
                    product=product,
                ),
            )
        if extended:
            with at(extended):
                case = cases.case_extend(
                    actor=supervisor,
                    case=case,
                    reason="Menunggu konfirmasi bank tujuan.",
                    customer_notified=True,
                )
        if resolved:
            with at(resolved):
                case = cases.case_final_response(
                    actor=agent, case=case, text=FINAL, resolution_code="REFUND"
                )
        return case

    a = complaint(_wib((5, 4), 10), "Tabungan", "BRANCH", resolved=_wib((5, 20), 15))  # day 10
    b = complaint(  # extended, answered on day 20 just before 16:00
        _wib((5, 4), 10),
        "Tabungan",
        "BRANCH",
        extended=_wib((5, 18), 9),
        resolved=_wib((6, 8), 15, 59),
    )
    complaint(_wib((5, 4), 10), "Tabungan", "BRANCH", resolved=_wib((6, 9), 9))  # day 21
    complaint(_wib((5, 4), 11), "Kartu Kredit", "CALL_CENTER")  # open past day 20
    complaint(_wib((5, 29), 10), "", "WHATSAPP")  # open, day 6
    # 1 May 06:00 WIB is still 30 April in UTC: the period's bounds are local dates.
    complaint(_wib((5, 1), 6), "Giro", "EMAIL", resolved=_wib((5, 4), 9))  # day 0
    complaint(_wib((4, 30), 20), "Giro", "EMAIL")  # April: not in the period
    copy = complaint(_wib((5, 5), 10), "Tabungan", "BRANCH")
    with at(_wib((5, 5), 11)):
        cases.case_cancel_duplicate(actor=agent, case=copy, original_no=a.case_no)
    return {"a": a, "b": b}


@pytest.fixture
def compliance(make_user):
    return make_user(R.COMPLIANCE)


def _figures(row):
    return tuple(row.counts[f] for f in ojk.FIGURES)


def test_working_days_count_the_calendar_and_its_holidays(branch_a):
    schedule = schedule_for_branch(branch_a)
    received = _wib((5, 4), 10)
    elapsed = worktime.working_days_elapsed
    assert elapsed(schedule, received, _wib((5, 4), 15)) == 0
    assert elapsed(schedule, received, _wib((5, 20), 16)) == 10
    assert elapsed(schedule, received, _wib((5, 20), 16, 1)) == 11  # after hours: next day
    assert elapsed(schedule, received, _wib((6, 8), 16)) == 20
    assert elapsed(schedule, _wib((5, 1), 6), _wib((5, 2), 9)) == 0  # a holiday, then Saturday
    for days in (10, 20):  # the inverse of the deadline arithmetic
        deadline = worktime.add_working_days(schedule, received, days, at_day_end=True)
        assert elapsed(schedule, received, deadline) == days


def test_figures_by_product_and_channel(may, compliance, make_user, branch_b):
    report = ojk.ojk_report(actor=compliance, period=MAY, now=NOW)
    by_key = {(r.product, r.channel): _figures(r) for r in report.rows}
    # received, within 10, extended, within 20, unresolved at day 20, in progress
    assert by_key == {
        ("Giro", "EMAIL"): (1, 1, 0, 1, 0, 0),
        ("Kartu Kredit", "CALL_CENTER"): (1, 0, 0, 0, 1, 0),
        ("Tabungan", "BRANCH"): (3, 1, 1, 2, 1, 0),  # the cancelled duplicate left out
        ("", "WHATSAPP"): (1, 0, 0, 0, 0, 1),
    }
    assert _figures(report.total) == (6, 2, 1, 3, 2, 1)
    # A compliance officer of another branch sees nothing of MDN01's complaints.
    elsewhere = make_user(R.COMPLIANCE, branches=[branch_b])
    assert ojk.ojk_report(actor=elsewhere, period=MAY, now=NOW).rows == []


def test_only_the_permission_opens_it(supervisor, agent):
    for actor in (supervisor, agent):
        with pytest.raises(PermissionDenied):
            ojk.ojk_report(actor=actor, period=MAY)
        with pytest.raises(PermissionDenied):
            ojk.ojk_register_export(actor=actor, period=MAY)


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ((2026, 5, 31), (2026, 5, 1), "period_reversed"),
        ((2025, 1, 1), (2026, 1, 2), "period_too_long"),
        ((1999, 12, 1), (1999, 12, 31), "period_out_of_range"),
        ((9999, 12, 31), (9999, 12, 31), "period_out_of_range"),
    ],
)
def test_bad_periods_are_refused(first, last, code):
    with pytest.raises(ServiceError) as refused:
        ojk.period_check(dt.date(*first), dt.date(*last), today=dt.date(2026, 6, 9))
    assert refused.value.code == code


def test_bad_periods_on_the_page_run_no_query(compliance):
    client = sign_in(Client(), compliance)
    url = reverse("cases:ojk_report")
    for bad in (
        {"period": "custom", "start": "2026-05-31", "end": "2026-05-01"},
        {"period": "custom", "start": "2024-01-01", "end": "2026-01-01"},
        {"period": "custom", "start": "9999-12-31", "end": "9999-12-31"},
        {"period": "month", "month": "2026-13"},
        {"period": "custom", "start": "2026-05-01\x00", "end": "2026-05-02"},
        {"period": "weekly"},
    ):
        with ojk_not_called():
            page = client.get(url, bad)
        assert page.status_code == 400, bad
        assert 'role="alert"' in page.content.decode(), bad
    for name in ("cases:ojk_report_csv", "cases:ojk_register_csv"):
        with ojk_not_called():
            assert client.get(reverse(name), bad).status_code == 400
    assert AuditLog.objects.filter(action="EXPORT_DATA").count() == 0


def ojk_not_called():
    from unittest import mock

    return mock.patch.object(ojk, "_complaints", side_effect=AssertionError("query ran"))


def test_csvs_in_the_readers_zone_and_audited(may, make_user, system, monkeypatch):
    makassar = iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
    )
    reader = make_user(R.COMPLIANCE, home=makassar)
    client = sign_in(Client(), reader)
    query = {"period": "custom", "start": "2026-05-01", "end": "2026-05-31"}
    report = client.get(reverse("cases:ojk_report_csv"), query)
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert lines[0][:2] == ["periode_dari (WITA)", "periode_sampai (WITA)"]
    # Read today (not on 9 June): the WhatsApp complaint is past day 20 by now.
    assert lines[-1][2:] == ["Jumlah", "", "6", "2", "1", "3", "3", "0"]
    register = client.get(reverse("cases:ojk_register_csv"), query)
    rows = list(csv.DictReader(io.StringIO(b"".join(register.streaming_content).decode())))
    assert len(rows) == 6
    a = next(r for r in rows if r["no_pengaduan"] == may["a"].case_no)
    assert a["tanggal_diterima (WITA)"] == "2026-05-04 11:00"  # 10:00 WIB
    assert a["tanggal_penyelesaian (WITA)"] == "2026-05-20 16:00"
    assert a["hari_kerja"] == "10" and a["selesai_10_hari_kerja"] == "ya"
    assert a["nasabah"] == "B*** S*** S***"  # compliance may not open the customer
    b = next(r for r in rows if r["no_pengaduan"] == may["b"].case_no)
    assert (b["diperpanjang"], b["hari_kerja"], b["selesai_20_hari_kerja"]) == ("ya", "20", "ya")
    audits = AuditLog.objects.filter(action="EXPORT_DATA", actor_id=reader.pk).order_by("id")
    assert [(x.object_type, x.meta["rows"], x.meta["zone"]) for x in audits] == [
        ("OJK_REPORT", 4, "WITA"),
        ("OJK_REGISTER", 6, "WITA"),
    ]
    monkeypatch.setattr(ojk, "REGISTER_MAX_ROWS", 5)  # never a cut register: refused whole
    assert client.get(reverse("cases:ojk_register_csv"), query).status_code == 400
    assert audits.count() == 2


def test_the_page_in_english_from_the_menu(compliance):
    client = sign_in(Client(), compliance)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        home = client.get(reverse("core:home")).content.decode()
        assert reverse("cases:ojk_report") in home
        page = client.get(reverse("cases:ojk_report"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "OJK complaint report" in body and "Laporan pengaduan OJK" not in body


def test_the_calendar_is_walked_once_per_branch_not_per_complaint(may, compliance, monkeypatch):
    """A page view walked a month of dates twice per complaint; now each branch's working
    days are walked once and every count is a lookup. Same figures, and the number of
    calendar days looked at does not grow with the number of complaints."""
    looked_at = []
    real = worktime.Schedule.utc_windows

    def counted(self, day):
        looked_at.append(day)
        return real(self, day)

    monkeypatch.setattr(worktime.Schedule, "utc_windows", counted)
    ojk.ojk_report(actor=compliance, period=MAY, now=NOW)
    once = len(looked_at)
    looked_at.clear()
    rows = ojk.ojk_register_export(actor=compliance, period=MAY)
    assert len(rows) == 6
    # From the earliest receipt (1 May) to now (9 June): 40 dates, not 6 × 2 × ~30 (355).
    assert once <= 45, once
    # The register counts to the real now: each date from 1 May at most once, up to the
    # working day that now falls on — after Friday's close or before a holiday that is the
    # next working day, so the bound comes from the calendar, not from today's date.
    walked = len(looked_at)
    schedule = schedule_for_branch(rows[0].case.branch)
    end_of_now = worktime.add_working_days(schedule, timezone.now(), 0, at_day_end=True)
    since_may = (schedule.local_date(end_of_now) - dt.date(2026, 5, 1)).days + 1
    assert walked <= since_may, (walked, since_may)


def test_period_dates_are_bounded_like_every_date_a_person_types():
    from amanah.cases.forms import OjkPeriodForm

    form = OjkPeriodForm({"period": "custom", "start": "9999-12-31", "end": "9999-12-31"})
    assert not form.is_valid()
    assert form.has_error("start", code="date_out_of_range")
    assert form.has_error("end", code="date_out_of_range")


def test_one_zone_label_for_every_page_and_csv():
    from zoneinfo import ZoneInfo

    from amanah.core.zones import zone_label

    for choice in TimeZoneChoice:
        assert zone_label(ZoneInfo(choice.value)) == str(choice.label).split(" ")[0]
        with timezone.override(ZoneInfo(choice.value)):
            assert zone_label() == str(choice.label).split(" ")[0]
    assert zone_label(ZoneInfo("UTC")) == "UTC"
    assert not hasattr(ojk, "zone_label") or ojk.zone_label is zone_label


def test_a_customer_open_through_break_glass_stays_masked_in_the_register(may, make_user, customer):
    """The register is a list that leaves the house: a break-glass grant (a look at one
    customer, audited per view) unmasks nothing in it."""
    from amanah.breakglass import services as breakglass
    from amanah.customers.selectors import customer_for
    from amanah.iam import authz

    officer = make_user(R.COMPLIANCE)
    breakglass.breakglass_request(
        actor=officer,
        customer=customer,
        reason="Pemeriksaan pengaduan nasabah untuk laporan OJK",
        emergency=True,
    )
    authz.forget(officer)
    assert customer_for(actor=officer, customer_id=customer.pk) == customer  # the grant works
    rows = ojk.ojk_register_export(actor=officer, period=MAY)
    assert {r.customer for r in rows} == {"B*** S*** S***"}
    export = AuditLog.objects.get(action="EXPORT_DATA", object_type="OJK_REGISTER")
    assert export.meta["unmasked"] == 0
