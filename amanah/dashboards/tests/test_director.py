"""The director's dashboard on a hand-computed fixture (issue 15).

Now is Mon 15 June 2026, 10.00 WIB. Branch MDN01 (WIB):
- six TRX_FAIL complaints received Mon 4 May 10.00; five answered at 11.00 the same day
  (within SLA), one still open (42 days old; its OJK day 20 was 8 June: past);
- two CARD_ATM complaints received Wed 10 June 09.00, open (5 days old).
Branch PMS01 (WIB): one TRX_FAIL complaint received Fri 12 June 09.00, open (3 days old), with
an internal note at 11.00.

Expected, after the refresh job (counts 1–4 shown as "< 5"):
- SLA compliance: May 2026 — 5 answered, 5 within SLA, 100.0 %;
- backlog: 3–7 days: 3 → "< 5"; > 30 days: 1 → "< 5"; the other buckets 0;
- volume: TRX_FAIL × MDN01 6, TRX_FAIL × PMS01 "< 5", CARD_ATM × MDN01 "< 5", CARD_ATM × PMS01 0;
- trend: May — TRX_FAIL 6, CARD_ATM 0; June — TRX_FAIL "< 5", CARD_ATM "< 5";
- OJK day 20: MDN01 past day 20 "< 5", PMS01 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.policies import CASE_VIEW
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.contributions import Widget, WidgetTable
from amanah.core.masking import mask_account, mask_email, mask_name, mask_nik, mask_phone
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.dashboards import refresh, selectors
from amanah.dashboards.models import WidgetFigure
from amanah.dashboards.refresh import dashboards_refresh
from amanah.insight.merchants.models import MerchantRecommendation
from amanah.insight.nba.models import NbaDecision
from amanah.insight.recovery.services import recovery_scan
from amanah.insight.testing import merchant_make
from amanah.privacy.services import breach_record
from amanah.utility import testing as utility_testing

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=WIB)
FINAL = "Dana Rp 2.500.000 sudah dikembalikan ke rekening nasabah."
NOTE = "Catatan internal: nasabah menelepon dari Parapat, minta ditelepon balik sore."
PEOPLE = [
    # name, NIK, phone, e-mail, CIF, account, birth date of the fixture customers
    (
        "Budi Santoso Sitorus",
        "1271010101800001",
        "082160003003",
        "budi.sitorus@contoh.id",
        "CIF7730001",
        "4410027730001",
        dt.date(1980, 1, 1),
    ),
    (
        "Rina Marpaung",
        "1272020202850002",
        "081370004004",
        "rina.marpaung@contoh.id",
        "CIF7730002",
        "4410027730002",
        dt.date(1985, 2, 2),
    ),
]


def _customer(system, branch, name, nik, phone, email, cif, account, born):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name=name,
            home_branch=branch,
            phone=phone,
            nik=nik,
            email=email,
            cif=cif,
            account_numbers=[account],
            birth_date=born,
        ),
    )


@pytest.fixture
def world(db, system, branch_a, branch_b, make_user):
    agent_a = make_user(R.AGENT, branches=[branch_a])
    agent_b = make_user(R.AGENT, branches=[branch_b])
    budi = _customer(system, branch_a, *PEOPLE[0])
    rina = _customer(system, branch_b, *PEOPLE[1])

    made = []

    def complaint(agent, customer, category, when, *, answered=None):
        with at(when):
            case = cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code=category,
                    priority="MEDIUM",
                    description=f"Keluhan {customer.full_name}: saldo terpotong tanpa transaksi.",
                ),
            )
        if answered:
            with at(answered):
                cases.case_final_response(
                    actor=agent, case=case, text=FINAL, resolution_code="REFUND"
                )
        made.append(case)
        return case

    may4 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=WIB)
    for n in range(6):
        answered = may4 + dt.timedelta(hours=1) if n < 5 else None
        complaint(agent_a, budi, "TRX_FAIL", may4, answered=answered)
    for _n in range(2):
        complaint(agent_a, budi, "CARD_ATM", dt.datetime(2026, 6, 10, 9, tzinfo=WIB))
    still_open = complaint(agent_b, rina, "TRX_FAIL", dt.datetime(2026, 6, 12, 9, tzinfo=WIB))
    with at(dt.datetime(2026, 6, 12, 11, tzinfo=WIB)):
        cases.case_add_note(actor=agent_b, case=still_open, message=NOTE)
    with at(NOW):  # service recovery for the cases now past twice their SLA (its widget)
        assert recovery_scan(now=NOW) > 0
    # a merchant promo recommended to Budi and sent (the merchant conversion widget)
    MerchantRecommendation.objects.create(
        customer=budi,
        merchant=merchant_make("QR-DIR"),
        status="SENT",
        created_at=NOW - dt.timedelta(days=3),
        sent_at=NOW - dt.timedelta(days=3),
    )
    # a Next Best Action accepted for Budi that succeeded (the NBA rates widget)
    NbaDecision.objects.create(
        customer=budi,
        rule_id="AT_RISK_RETENTION",
        rule_version=1,
        action_type="CALL",
        title="Telepon retensi",
        reason_text="Muncul karena: segmen AT_RISK",
        priority="HIGH",
        score=3.0,
        decision="ACCEPTED",
        decided_at=NOW - dt.timedelta(days=3),
        outcome="SUCCESS",
        outcome_at=NOW - dt.timedelta(days=1),
    )
    # Budi is also a water customer (the utility widgets: customers by tariff and arrears)
    utility_testing.connection(branch_a, customer=budi)
    dashboards_refresh(now=NOW)
    return {"a": branch_a, "b": branch_b, "cases": made}


@pytest.fixture
def director(make_user):
    return make_user(R.DIRECTOR)


def _tables(actor) -> dict[str, list[list[str]]]:
    return {
        s.key: [s.header, *([c.text for c in row] for row in s.rows)]
        for s in selectors.director_dashboard(actor)
    }


def test_widget_figures_after_the_refresh(world, director):
    with translation.override("id"):
        t = _tables(director)
    assert t["cases.sla_compliance"] == [
        ["Bulan", "Kasus selesai", "Selesai dalam SLA", "Kepatuhan SLA (%)"],
        ["Mei 2026", "5", "5", "100.0"],
    ]
    assert t["cases.backlog_age"][1:] == [
        ["0–2 hari", "0"],
        ["3–7 hari", "< 5"],
        ["8–14 hari", "0"],
        ["15–30 hari", "0"],
        ["> 30 hari", "< 5"],
    ]
    assert t["cases.volume_category_branch"] == [
        ["Kategori", "MDN01 · KC Medan", "PMS01 · KC Pematangsiantar"],
        ["Kartu / ATM", "< 5", "0"],
        ["Transaksi gagal", "6", "< 5"],
    ]
    assert t["cases.volume_trend"] == [
        ["Bulan", "Kartu / ATM", "Transaksi gagal"],
        ["Mei 2026", "0", "6"],
        ["Juni 2026", "< 5", "< 5"],
    ]
    assert [row[:2] for row in t["cases.ojk_day20"][1:]] == [["MDN01 · KC Medan", "< 5"]]


def test_small_counts_never_reach_the_chart_data(world, director):
    shown = {s.key: s for s in selectors.director_dashboard(director)}
    volume = shown["cases.volume_category_branch"].chart
    assert volume["labels"] == ["Kartu / ATM", "Transaksi gagal"]
    assert [d["data"] for d in volume["datasets"]] == [[None, 6], [0, None]]
    backlog = shown["cases.backlog_age"].chart["datasets"][0]["data"]
    assert backlog == [0, None, 0, 0, None]
    for s in shown.values():
        for dataset in s.chart["datasets"]:
            assert not any(v in (1, 2, 3, 4) for v in dataset["data"]), s.key


def test_refresh_is_idempotent_and_forgets_what_is_gone(world, director):
    before = set(WidgetFigure.objects.values_list("widget", "branch", "series", "bucket", "value"))
    dashboards_refresh(now=NOW, batch=1)  # one branch per transaction
    after = set(WidgetFigure.objects.values_list("widget", "branch", "series", "bucket", "value"))
    assert after == before
    WidgetFigure.objects.create(
        widget="gone.widget", branch=world["a"], series="x", bucket="", value=9, computed_at=NOW
    )
    dashboards_refresh(now=NOW)
    assert not WidgetFigure.objects.filter(widget="gone.widget").exists()


def test_a_refresh_holds_off_another_until_its_batch_commits(world):
    """A refresh run by hand beside the job's: each batch is written under one advisory lock
    held to the end of its transaction, so a second writer waits instead of colliding on the
    figures' unique constraint. The world's refresh ran in this test's (open) transaction:
    another connection asking for the lock times out."""
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("dbname", "user", "password", "host", "port") and v
    }
    with psycopg.connect(**params) as other:
        other.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [refresh.LOCK])
        other.rollback()
        # any other key is free: the lock is the refresh's own
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["other.key"])


def _digit_runs(value: str, width: int = 6) -> set[str]:
    digits = "".join(ch for ch in value if ch.isdigit())
    return {digits[i : i + width] for i in range(len(digits) - width + 1)}


def _personal_values(world) -> list[str]:
    """Every form in which a fixture customer's data could leak: as stored, as shown to staff
    (masked), and any six consecutive digits of an identifier (a partly masked or
    re-formatted NIK, phone, account or CIF still gives them away)."""
    values = []
    for name, nik, phone, email, cif, account, born in PEOPLE:
        e164 = "+62" + phone[1:]
        values += [name, mask_name(name), *(w for w in name.split() if len(w) >= 4)]
        values += [nik, mask_nik(nik), phone, e164, mask_phone(e164)]
        values += [email, email.split("@")[0], mask_email(email)]
        values += [cif, account, mask_account(account)]
        values += [born.isoformat(), born.strftime("%d-%m-%Y"), born.strftime("%d/%m/%Y")]
        for identifier in (nik, e164, account, cif):
            values += sorted(_digit_runs(identifier))
    # what the cases say about them, and the case numbers (a director sees no single case)
    values += [NOTE, FINAL, "Keluhan", "saldo terpotong tanpa transaksi"]
    values += [case.case_no for case in world["cases"]]
    return values


# A page's random tokens (the CSRF token: 64 letters and digits, new on every request) are
# taken out before the scan: "rina" or six digits can turn up in one by chance, and no
# personal value is 32 letters or digits in a row.
RANDOM_TOKEN = re.compile(r"[A-Za-z0-9]{32,}")


def _leaks(body: str, values: list[str]) -> list[str]:
    text = RANDOM_TOKEN.sub(" ", html.unescape(body)).lower()
    return [v for v in values if v.lower() in text]


def test_director_pages_and_csvs_hold_no_personal_data(world, director):
    """Seed 003 Bab 6.3.1: every page and CSV the director's dashboard answers (home page,
    dashboard in both languages, each widget's CSV) scanned for the fixture customers' data."""
    values = _personal_values(world)
    client = sign_in(Client(), director)
    pages = [client.get("/"), client.get(reverse("dashboards:director"))]
    for page in pages:
        assert page.status_code == 200
        assert b'data-testid="widget-cases.sla_compliance"' in page.content
        assert b"vendor/chart.umd.min.js" in page.content
    bodies = {"home": pages[0].content.decode(), "dashboard": pages[1].content.decode()}
    keys = [key for key, _widget in registry.dashboard_widgets.items()]
    assert len(keys) >= 5
    for key in keys:
        response = client.get(reverse("dashboards:widget_csv", args=[key]))
        assert response.status_code == 200, key
        body = b"".join(response.streaming_content).decode()
        assert len(body.splitlines()) >= 2, key  # a header and figures: there was data to leak
        bodies[f"csv {key}"] = body
    client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("dashboards:director"))
    assert english.status_code == 200 and b"Director's dashboard" in english.content
    bodies["dashboard (en)"] = english.content.decode()
    # the scan reads real answers: the figures and their branches are on them
    assert "MDN01 · KC Medan" in bodies["dashboard"] and "Transaksi gagal" in bodies["dashboard"]
    for where, body in bodies.items():
        assert _leaks(body, values) == [], where
    exports = AuditLog.objects.filter(action="EXPORT_DATA", object_type="DASHBOARD_WIDGET")
    assert exports.count() == len(keys)


def test_the_scan_finds_what_a_case_page_shows(world, make_user):
    """The scan's own check: the case page of the branch's supervisor (who may see the
    customer) is found to hold the note, the case number and the masked or plain data."""
    case = world["cases"][-1]
    supervisor = sign_in(Client(), make_user(R.SUPERVISOR, branches=[world["b"]]))
    page = supervisor.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    found = _leaks(page.content.decode(), _personal_values(world))
    assert NOTE in found and case.case_no in found
    assert "Rina" in found or mask_name(PEOPLE[1][0]) in found


def test_compliance_dashboard_holds_no_personal_data(world, make_user):
    """The compliance dashboard (compliance's home page) lists incidents by their title: a
    breach description naming the customer stays on the incident's own page."""
    officer = make_user(R.COMPLIANCE)
    name, nik, phone, email, *_rest = PEOPLE[0]
    breach_record(
        actor=officer,
        title="Surel berisi data nasabah terkirim ke alamat salah",
        description=f"Data {name}, NIK {nik}, telepon {phone}, surel {email} terkirim keluar.",
        data_categories="nama, NIK, telepon, surel",
        subjects_affected=1,
        discovered_at=timezone.now() - dt.timedelta(hours=2),
    )
    values = _personal_values(world)
    client = sign_in(Client(), officer)
    for url in ("/", reverse("dashboards:compliance")):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert 'data-testid="panel-privacy.breach_timer"' in body, url
        assert "Surel berisi data nasabah terkirim ke alamat salah" in body, url
        assert _leaks(body, values) == [], url


def test_csv_is_suppressed_and_in_the_readers_zone(world, director):
    client = sign_in(Client(), director)
    response = client.get(reverse("dashboards:widget_csv", args=["cases.volume_category_branch"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-1] == "diperbarui (WIB)"
    assert [r[:3] for r in rows[1:]] == [
        ["Kartu / ATM", "< 5", "0"],
        ["Transaksi gagal", "6", "< 5"],
    ]
    assert {r[-1] for r in rows[1:]} == {"2026-06-15 10:00"}
    audit = AuditLog.objects.get(object_type="DASHBOARD_WIDGET")
    assert audit.object_id == "cases.volume_category_branch"
    assert audit.meta == {"rows": 2, "zone": "WIB"}


def test_each_widget_needs_its_permission_and_no_personal_data(world, director, make_user):
    def table(figures, labels):
        return WidgetTable(["x", "n"], [["a", 7]])

    personal = Widget("P", "dashboard.director", True, lambda ids, now: [], table)
    not_held = Widget("Q", CASE_VIEW, False, lambda ids, now: [], table)
    with (
        registry.dashboard_widgets.temporarily("tests.personal", personal),
        registry.dashboard_widgets.temporarily("tests.not_held", not_held),
    ):
        keys = {s.key for s in selectors.director_dashboard(director)}
        assert "cases.ojk_day20" in keys
        assert not keys & {"tests.personal", "tests.not_held"}
        client = sign_in(Client(), director)
        for key in ("tests.personal", "tests.not_held", "no.such"):
            assert client.get(reverse("dashboards:widget_csv", args=[key])).status_code == 404
    assert not AuditLog.objects.filter(object_type="DASHBOARD_WIDGET").exists()
    agent = sign_in(Client(), make_user(R.AGENT, branches=[world["a"]]))
    assert agent.get(reverse("dashboards:director")).status_code == 403
    home = agent.get("/")
    assert home.status_code == 200 and b"widget-cases" not in home.content


def test_scope_limits_the_figures(world, make_user):
    director_b = make_user(R.DIRECTOR, branches=[world["b"]])
    t = _tables(director_b)
    assert t["cases.volume_category_branch"] == [
        ["Kategori", "PMS01 · KC Pematangsiantar"],
        ["Transaksi gagal", "< 5"],
    ]


def test_english_smoke(world, director):
    client = sign_in(Client(), director)
    client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("dashboards:director"))
    assert page.status_code == 200
    assert b"Director's dashboard" in page.content
    assert b"SLA compliance by month" in page.content
    data = json.loads(
        page.content.split(b'id="chart-cases-sla-compliance" type="application/json">')[1].split(
            b"</script>"
        )[0]
    )
    assert data["type"] == "line"


@pytest.mark.parametrize(
    ("resolved", "met", "shown"),
    [
        (8, 5, ["8", "—", "—"]),  # 3 missed the SLA: not to be read off by subtraction
        (20, 17, ["20", "—", "—"]),
        (20, 19, ["20", "—", "—"]),
        (10, 5, ["10", "5", "50.0"]),  # 5 missed: shown
        (6, 6, ["6", "6", "100.0"]),  # none missed: zero describes no one
        (9, 3, ["9", "< 5", "—"]),
    ],
)
def test_a_small_count_cannot_be_had_by_subtraction(world, director, resolved, met, shown):
    figures = WidgetFigure.objects.filter(widget="cases.sla_compliance")
    figures.filter(series="total").update(value=resolved)
    figures.filter(series="met").update(value=met)
    with translation.override("id"):
        sla = {s.key: s for s in selectors.director_dashboard(director)}["cases.sla_compliance"]
    assert [c.text for c in sla.rows[0][1:]] == shown
    assert sla.chart["datasets"][0]["data"] == [sla.rows[0][3].value]
