"""The API documentation page in a real browser (issue 21 "OpenAPI"): Swagger UI served by the
app itself — its script and stylesheet from the app's static files, nothing from a CDN (the
CSP allows only 'self', and the machine has no internet) — draws the operations of
``/api/v1/openapi.json`` with each operation's permission."""

from __future__ import annotations

import os

import pytest

from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_HEX
from amanah.e2e.browser import ARTIFACTS, chromium_available, launch, sign_in

pytestmark = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason="Debian chromium is not installed here (CI installs it; there the test must run)",
)


def test_the_api_docs_page_draws_the_operations_from_local_files(base, demo):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        sign_in(page, base, "admin", DEMO_PASSWORD, DEMO_TOTP_HEX)
        page.goto(f"{base}/api/v1/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        assert "Amanah CRM API" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 5  # the operations, drawn
        ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS.parent / "api-docs.png"))
        # Signing the same user in again within seconds: the authenticator's code of this
        # 30-second step was spent and is refused as a replay; the helper gets in with the next
        # one, as other browser tests signing in as admin right after this one must.
        sign_in(page, base, "admin", DEMO_PASSWORD, DEMO_TOTP_HEX)
        assert page.locator("[data-testid=who]").is_visible()
        browser.close()
    assert all(url.startswith(base) for url in requested), [
        url for url in requested if not url.startswith(base)
    ]
    assert any("/static/ninja/swagger-ui-bundle" in url for url in requested)
    assert not [text for text in refused if "Content Security Policy" in text], refused
