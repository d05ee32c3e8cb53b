"""The PDAM demo (issue 17, "Must show") end to end in a real browser, on the water utility's
own demo seed (AMANAH_PROFILE=pdam, ``pdam_demo`` in conftest.py): the supervisor records a
person and customer service registers a new connection for them, the technician records the
survey, customer service prices the RAB, finance approves it (four eyes: not its author) and
asks for a QRIS payment, the customer pays through the loopback fake gateway (its signed
callback comes back to the instance and pays the RAB), the journal shows the RAB's bill and its
payment, and a complaint "air keruh sejak pagi di Jl. …" is classified automatically.

This is the suite's run on the PDAM profile's demo seed (the bank's is test_demo_script.py):
every page here is served by a gunicorn started with AMANAH_PROFILE=pdam. Each member of staff
has a browser context of their own (signed in once: no second use of a TOTP code). Every wait
is on a condition (a selector, a status text), never a pause. A screenshot per step lands in
test-artifacts/demo/.
"""

from __future__ import annotations

import os
import re

import pytest

from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_HEX
from amanah.e2e.browser import Steps, chromium_available
from amanah.e2e.browser import staff_page as signed_in

pytestmark = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason="Debian chromium is not installed here (CI installs it; there the test must run)",
)

PELANGGAN, PHONE, CONNECTION_NUMBER = "Sri Wahyuni Panjaitan", "081260099123", "PB-E2E-0001"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The RAB customer service prices: 12 × 15.250 + 450.000 + 350.000 = Rp 983.000.
RAB_LINES = "\n".join(
    [
        "Pipa PE 1/2 inci (m); 12; 15250",
        "Meter air 1/2 inci; 1; 450000",
        "Jasa pemasangan; 1; 350000",
    ]
)
RAB_TOTAL = 983_000
COMPLAINT = (
    "Air keruh sejak pagi di Jl. Sei Batang Hari no. 12, warnanya coklat dan berbau, "
    "tidak bisa dipakai masak."
)


def staff_page(browser, base: str, username: str):
    """A browser context of its own for one member of staff, signed in."""
    return signed_in(browser, base, username, DEMO_PASSWORD, DEMO_TOTP_HEX)


def submit(page, form_selector: str) -> None:
    """Submit a form and wait for the page the redirect leads to."""
    with page.expect_navigation():
        page.click(f"{form_selector} button[type=submit]")


def landed(page, selector: str) -> None:
    """The page a step led to shows ``selector`` (it has loaded: the step waited for the
    navigation); if not, the failure says what the page said instead (a refusal, a form
    error)."""
    if page.locator(selector).count() == 0:
        raise AssertionError(f"{selector} missing on {page.url}: {page.inner_text('main')[:800]}")


def test_pdam_demo_new_connection_qris_journal_complaint(pdam_browser, pdam_demo):
    base = pdam_demo.base
    cs = staff_page(pdam_browser, base, "cs")
    steps = Steps(cs)

    # The supervisor records the person (customer service may not: customer.manage), then
    # customer service registers the application for a new connection (pasang baru).
    supervisor = staff_page(pdam_browser, base, "supervisor")
    supervisor.goto(f"{base}/customers/new/")
    supervisor.fill("#id_full_name", PELANGGAN)
    supervisor.fill("#id_phone", PHONE)
    submit(supervisor, "[data-testid=customer-form]")
    customer_id = re.search(UUID, supervisor.url)
    assert customer_id, supervisor.inner_text("main")[:800]
    customer_id = customer_id.group(0)
    supervisor.context.close()
    cs.goto(f"{base}/air/pasang-baru/baru/?customer={customer_id}")
    cs.fill("#id_number", CONNECTION_NUMBER)
    cs.select_option("#id_tariff_code", "R1")
    cs.select_option("#id_area_code", "W-KOT")
    cs.fill("#id_street", "Jl. Sei Batang Hari")
    cs.fill("#id_house_number", "12")
    cs.fill("#id_rt", "3")
    cs.fill("#id_rw", "2")
    submit(cs, "form:has(#id_number)")
    landed(cs, "[data-testid=installation]")
    installation_url = cs.url.split("?")[0]
    assert re.search(r"/air/pasang-baru/\d+/$", installation_url), installation_url
    number = cs.inner_text("h1").split()[-1]  # PB-000123
    assert number.startswith("PB-")
    steps.shot("pdam-application")

    # The technician surveys the site: coordinates and a note.
    tech = staff_page(pdam_browser, base, "teknisi")
    tech.goto(installation_url)
    survey = tech.locator("form:has([data-testid=move-SURVEYED])")
    survey.locator("[name=lat]").fill("3.591200")
    survey.locator("[name=lon]").fill("98.681500")
    survey.locator("[name=note]").fill("Pipa dinas 6 m dari rumah, akses mudah.")
    with tech.expect_navigation():
        tech.click("[data-testid=move-SURVEYED]")
    facts = tech.inner_text("[data-testid=installation]")
    assert "Pipa dinas 6 m dari rumah" in facts and "Joko Susilo" in facts, facts
    steps.shot("pdam-survey", page=tech)

    # Customer service prices the RAB and submits it.
    cs.goto(installation_url)
    cs.fill("#id_lines", RAB_LINES)
    with cs.expect_navigation():
        cs.click("form[action$='/rab/'] button[type=submit]")
    assert "983.000" in cs.inner_text("[data-testid=rab-total]")
    with cs.expect_navigation():
        cs.click("[data-testid=move-RAB_SUBMITTED]")

    # Finance approves it (someone other than its author).
    finance = staff_page(pdam_browser, base, "kasir")
    finance.goto(installation_url)
    with finance.expect_navigation():
        finance.click("[data-testid=move-RAB_APPROVED]")
    steps.shot("pdam-rab-approved", page=finance)

    # Customer service sets the plan (paid in full), which bills the RAB.
    cs.goto(installation_url)
    cs.select_option("#id_plan", "FULL")
    with cs.expect_navigation():
        cs.click("form[action$='/angsuran/'] button[type=submit]")
    assert "983.000" in cs.inner_text("[data-testid=schedule]")

    # Finance asks the gateway for a QRIS of what is due; the customer scans and pays it.
    finance.goto(installation_url)
    with finance.expect_navigation():
        finance.click("[data-testid=request-qris]")
    landed(finance, "#payment")
    assert re.search(r"/pembayaran/" + UUID + "/$", finance.url), finance.url
    payment_page = finance.url
    order_id = finance.inner_text("h1").split()[-1]
    qris = finance.inner_text("#payment code")
    assert qris.startswith("000201") and "5802ID" in qris  # EMVCo, Indonesia
    assert pdam_demo.gateway.orders[order_id].amount == RAB_TOTAL
    steps.shot("pdam-qris", page=finance)
    pdam_demo.gateway.pay(order_id)
    pdam_demo.gateway.wait_idle()  # its callback was answered (retries included)
    answered = [p.status for p in pdam_demo.gateway.posted if p.order_id == order_id]
    assert answered and answered[-1] == 200, answered  # signed, stored (applied by the job)
    finance.goto(payment_page)
    for _ in range(120):  # the worker's callbacks job applies it a moment after the answer
        if "Lunas" in finance.inner_text("[data-testid=status]"):
            break
        finance.wait_for_timeout(500)
        finance.reload()
    assert "Lunas" in finance.inner_text("[data-testid=status]")
    finance.goto(installation_url)
    schedule = finance.inner_text("[data-testid=schedule]")
    assert schedule.count("983.000") >= 2, schedule  # principal and paid

    # The journal: the RAB's bill and its payment through the gateway, both balanced.
    finance.goto(f"{base}/jurnal/?q={number}")
    entries = finance.inner_text("[data-testid=journal-entries]")
    assert f"Tagihan RAB {number}" in entries, entries
    assert f"Pembayaran RAB {number}" in entries, entries
    assert entries.count("983.000") == 2, entries
    steps.shot("pdam-journal", page=finance)
    with finance.expect_navigation():
        finance.locator("tr", has_text=f"Pembayaran RAB {number}").locator("a").click()
    lines = finance.inner_text("[data-testid=entry-lines]")
    assert "1103" in lines and "1132" in lines, lines  # D dana VA/QRIS, K piutang sambungan

    # A complaint in the pelanggan's own words: category and priority set from the text.
    cs.goto(f"{base}/cases/new/{customer_id}/")
    cs.select_option("#id_channel", "CALL_CENTER")
    cs.fill("#id_description", COMPLAINT)
    submit(cs, "[data-testid=case-form]")
    landed(cs, "[data-testid=receipt]")
    with cs.expect_navigation():
        cs.click("text=Buka kasus")
    suggestion = cs.inner_text("[data-testid=category-suggestion]")
    assert "Air keruh" in suggestion, suggestion
    assert "Diterapkan otomatis" in suggestion, suggestion  # above the confidence threshold
    assert re.search(r"Kategori:\s*Air keruh", cs.inner_text("main")), "category not set"
    steps.shot("pdam-complaint-classified")
