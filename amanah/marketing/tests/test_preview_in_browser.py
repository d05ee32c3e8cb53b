"""In a real browser, the segment builder's live preview shows a refusal in its box.

The preview answers a refusal with 400; htmx shows no 4xx but 429 (base.html), so app.js swaps
in the fragments that core.view_helpers marks as refused. Without that the box would keep the
last count for rules that are no longer valid.

The browser gets the app's real answers, made beforehand by the test client: a live server
would need ``transaction=True``, whose teardown TRUNCATEs the append-only audit table, and the
test's database work cannot run while Playwright's event loop does.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.e2e.browser import chromium_available, launch

pytestmark = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason="Debian chromium is not installed here (CI installs it; there the test must run)",
)

BUILDER, PREVIEW = "/marketing/segments/new/", "/marketing/segments/preview/"
TOO_LONG = "X" * 41  # longer than any branch code the rules accept


def _fulfilment(response) -> dict:
    return {
        "status": response.status_code,
        "headers": dict(response.items()),
        "body": response.content,
    }


def _static(path: str) -> dict:
    found = finders.find(path.removeprefix("/static/"))
    if not found:
        return {"status": 404, "body": b""}
    return {"status": 200, "body": Path(found).read_bytes()}


def test_a_refused_preview_replaces_the_stale_count(make_user):
    client = sign_in(Client(), make_user(R.MARKETING))
    builder = client.get(BUILDER)
    counted = client.post(PREVIEW, {"name": "Penabung", "branches": "MDN01"})
    refused = client.post(PREVIEW, {"name": "Penabung", "branches": TOO_LONG})
    assert (counted.status_code, refused.status_code) == (200, 400)

    def answer(route):
        request = route.request
        path = urlsplit(request.url).path
        if path == PREVIEW:
            route.fulfill(**_fulfilment(refused if TOO_LONG in request.post_data else counted))
        elif path == BUILDER:
            route.fulfill(**_fulfilment(builder))
        else:
            route.fulfill(**_static(path))

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.route("**/*", answer)
            page.goto(f"http://testserver{BUILDER}")
            page.fill("#id_name", "Penabung")
            page.fill("#id_branches", "MDN01")
            page.locator("#id_branches").dispatch_event("change")
            page.wait_for_selector("[data-testid=preview] .alert-info")  # the count
            page.fill("#id_branches", TOO_LONG)
            page.locator("#id_branches").dispatch_event("change")
            page.wait_for_selector("[data-testid=preview] .form-error")
            shown = page.inner_text("[data-testid=preview]")
        finally:
            browser.close()
    assert "teks pendek" in shown and "cocok" not in shown
