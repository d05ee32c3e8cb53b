"""Find&Go for the water utility (seed 002; issue 50, 6) end to end in a real browser, on the
PDAM profile's own demo seed (``pdam_demo`` in conftest.py: AMANAH_PROFILE=pdam, its gunicorn
and worker): the demo holds last week's closed cycle of field visits, so

1. the supervisor of Medan Kota generates this week's work orders from the water bills in
   arrears ("Tunggakan rekening air") — made and given to the unit's technician at once;
2. sees them on the team map (monitoring), each at its installation's GPS;
3. the technician (the collector) opens "Kunjungan saya" on a phone, lets it order the day
   from where the phone is (nearest first: numbered stops with their legs and the total),
   sees the bills in arrears of the first stop and its navigate link;
4. records a promise to pay there, with the phone's GPS;
5. the supervisor sees the result on the monitoring page (applied, a promise) — and the
   position it was captured at is the phone's, trusted.

Every wait is on a condition (a selector, a navigation), never a pause. A screenshot per step
lands in test-artifacts/demo/.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_HEX
from amanah.e2e.browser import Steps, chromium_available, staff_page

pytestmark = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason="Debian chromium is not installed here (CI installs it; there the test must run)",
)

PHONE = {"width": 390, "height": 844}
# The collector stands in Medan Kota (the unit's area centre is 3.59, 98.68).
WHERE = {"latitude": 3.5921, "longitude": 98.6794, "accuracy": 9}
MADE = re.compile(r"(\d+) work order dibuat, (\d+) ditugaskan")


def _page(browser, base: str, username: str, **context):
    return staff_page(browser, base, username, DEMO_PASSWORD, DEMO_TOTP_HEX, **context)


def _flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def test_the_pdam_find_and_go_story(pdam_browser, pdam_demo):
    base = pdam_demo.base
    supervisor = _page(pdam_browser, base, "supervisor")
    steps = Steps(supervisor)

    # 1. This week's generation from the water bills in arrears, assigned at once.
    supervisor.goto(f"{base}/lapangan/wo/")
    supervisor.click("text=Bangkitkan dari tunggakan")
    form = supervisor.locator("[data-testid=generate-form]")
    form.locator("#id_source").select_option("utility.bills")
    form.locator("#id_min_days").fill("1")
    form.locator("#id_min_amount").fill("0")
    with supervisor.expect_navigation():
        form.locator("button[type=submit]").click()
    made = MADE.search(_flash(supervisor))
    assert made, _flash(supervisor) or supervisor.inner_text("main")[:800]
    created, assigned = int(made.group(1)), int(made.group(2))
    assert created >= 1 and assigned == created, made.group(0)
    orders = supervisor.inner_text("[data-testid=work-orders]")
    assert "Joko Susilo" in orders and "Ditugaskan" in orders, orders  # the unit's technician
    steps.shot("find-go-generated")

    # 2. On the team map: every open work order of the unit, placed.
    supervisor.goto(f"{base}/lapangan/monitoring/")
    supervisor.wait_for_selector("[data-testid=field-map][data-markers]")
    markers = int(supervisor.get_attribute("[data-testid=field-map]", "data-markers"))
    assert markers >= created
    assert supervisor.locator(".wo-marker.wo-assigned").count() >= created  # drawn, by status
    steps.shot("find-go-team-map")

    # 3. The collector's day on a phone, ordered from where the phone is.
    collector = _page(
        pdam_browser,
        base,
        "teknisi",
        viewport=PHONE,
        geolocation=WHERE,
        permissions=["geolocation"],
    )
    collector.goto(f"{base}/lapangan/")
    collector.wait_for_function(
        "() => document.querySelector('[data-testid=position-form] [data-geo=lat]').value !== ''"
    )
    with collector.expect_navigation():
        collector.click("[data-testid=position-form] button[type=submit]")
    assert "lat=3.592100" in collector.url, collector.url
    total = collector.inner_text("[data-testid=total-distance]")
    assert "total jarak" in total, total
    stops = collector.locator("[data-testid=stop]")
    assert stops.count() >= created
    first = stops.first
    assert first.locator("header strong").inner_text().startswith("1. ")
    assert first.locator("[data-testid=leg]").count() == 1
    assert first.locator("[data-testid=navigate]").get_attribute("href").startswith("geo:")
    billing = first.locator("[data-testid=billing]").inner_text()
    assert "Tagihan menunggak" in billing and "Rp" in billing, billing
    assert "GPS pemasangan" in billing or "Koreksi lapangan" in billing, billing
    wo_id = first.get_attribute("data-wo")
    steps.shot("find-go-collector-day", page=collector)

    # 4. A promise to pay at the first stop, with the phone's GPS.
    first.locator("summary").click()
    voc = first.locator("[data-testid=voc-form]")
    assert voc.locator("[data-geo=lat]").input_value() == "3.592100"
    voc.locator("select[name=outcome]").select_option("PROMISE")
    promise_day = (datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(days=4)).date()
    voc.locator("[name=promise_date]").fill(promise_day.isoformat())
    voc.locator("[name=promise_amount]").fill("150000")
    voc.locator("[name=note]").fill("Bayar setelah gajian tanggal 25.")
    with collector.expect_navigation():
        voc.locator("button[type=submit]").click()
    assert "Hasil kunjungan dicatat." in _flash(collector), _flash(collector)
    assert collector.locator(f"[data-testid=stop][data-wo='{wo_id}']").count() == 0  # visited
    steps.shot("find-go-visit-recorded", page=collector)

    # 5. The supervisor sees it on the monitoring page; the position is the phone's.
    supervisor.goto(f"{base}/lapangan/monitoring/")
    row = supervisor.locator(f"[data-testid=recent-visit][data-wo='{wo_id}']")
    assert row.count() == 1
    assert (row.get_attribute("data-outcome"), row.get_attribute("data-status")) == (
        "PROMISE",
        "APPLIED",
    )
    assert "Joko Susilo" in row.inner_text()
    steps.shot("find-go-monitoring")
    stored = pdam_demo.execute(
        "SELECT 1 FROM fieldops_visitresult WHERE work_order_id = %s AND position_flag = ''"
        " AND abs(latitude - 3.5921) < 1e-6 AND abs(longitude - 98.6794) < 1e-6",
        [int(wo_id)],
    )
    assert stored == 1
