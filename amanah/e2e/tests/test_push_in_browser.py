"""Web Push in a real browser: Debian's Chromium with a profile on disk, against the seeded demo
instance (amanah.e2e.server, VAPID key configured).

A member of staff finds the push page in the menu, the service worker registers (script
``/messaging/push/sw.js``, scope the settings page), turning notifications on without a
reachable push service (none here: no internet) says so in Indonesian and saves nothing, and a
push — the exact JSON ``providers.webpush.push_payload`` encrypts for the push service, handed
to the worker through the DevTools protocol (``ServiceWorker.deliverPushMessage``) — shows as a
notification with the notice's title, text, tag and URL.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_HEX
from amanah.e2e.browser import chromium_available, launch_profile, sign_in
from amanah.messaging.providers.base import OutgoingMessage
from amanah.messaging.providers.webpush import push_payload

pytestmark = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason="Debian chromium is not installed here (CI installs it; there the test must run)",
)

SCOPE, WORKER = "/messaging/push/", "/messaging/push/sw.js"
OUTBOX_ID = "0d1c7e0e-8f61-4d0a-9f54-6a1b7f1d2c3e"
NOTICE = OutgoingMessage(
    OUTBOX_ID,
    "PUSH",
    "staff-user-id",
    subject="SLA hampir habis",
    text="Kasus PGD-2026-000123: sisa 30 menit. 🙏",
    media_url="/notifications/",
)

REGISTRATION = f"""async () => {{
    const reg = await navigator.serviceWorker.getRegistration("{SCOPE}");
    return reg && reg.active ? [reg.scope, reg.active.scriptURL, reg.active.state] : null;
}}"""
NOTIFICATIONS = f"""async () => {{
    const reg = await navigator.serviceWorker.getRegistration("{SCOPE}");
    const shown = await reg.getNotifications();
    return shown.map((n) => ({{title: n.title, body: n.body, tag: n.tag, data: n.data}}));
}}"""


@pytest.fixture
def browser(base, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_profile(
            playwright, tmp_path / "profile", viewport={"width": 1280, "height": 900},
            locale="id-ID",
        )  # fmt: skip
        context.set_default_timeout(15_000)
        context.grant_permissions(["notifications"], origin=base)
        try:
            yield context
        finally:
            context.close()


def _registration_id(cdp, page, origin: str) -> str:
    """The worker's id in the DevTools protocol (announced once the domain is enabled)."""
    seen: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: seen.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for registration in seen:
            if registration["scopeURL"] == origin + SCOPE and not registration["isDeleted"]:
                return registration["registrationId"]
        page.wait_for_timeout(50)  # lets Playwright dispatch the protocol's events
    raise AssertionError("the service worker's registration was never announced")


def test_push_reaches_the_service_worker_and_shows_the_notice(browser, base):
    page = browser.pages[0] if browser.pages else browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "agent", DEMO_PASSWORD, DEMO_TOTP_HEX)

    # The menu leads there (beside the user's name), for any member of staff.
    page.click(f"header a[href='{SCOPE}']")
    page.wait_for_selector("#push-settings[data-ready=true]")
    assert "Anda berlangganan di 0 peramban" in page.inner_text("main")

    # Nothing registered yet; the unsubscribe button says so.
    page.click("[data-push=unsubscribe]")
    page.wait_for_selector("[data-push=status][data-state=none]")
    assert "belum berlangganan" in page.inner_text("[data-push=status]")

    # Turning it on: the worker registers, but no push service answers (none reachable here).
    page.eval_on_selector("#push-settings", "box => { box.dataset.subscribeTimeout = '3000'; }")
    page.click("[data-push=subscribe]")
    page.wait_for_selector("[data-push=status][data-state=unreachable]")
    assert "tidak dapat dihubungi" in page.inner_text("[data-push=status]")
    page.wait_for_function(REGISTRATION)
    assert page.evaluate(REGISTRATION) == [base + SCOPE, base + WORKER, "activated"]
    page.reload()
    page.wait_for_selector("#push-settings[data-ready=true]")
    assert "Anda berlangganan di 0 peramban" in page.inner_text("main")  # nothing saved

    # A push with the server's own payload shows the notice; the same tag replaces it.
    cdp = browser.new_cdp_session(page)
    registration = _registration_id(cdp, page, base)
    payload = push_payload(NOTICE).decode()
    for _twice in range(2):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registration, "data": payload},
        )
    page.wait_for_function(f"async () => (await ({NOTIFICATIONS})()).length > 0")
    [shown] = page.evaluate(NOTIFICATIONS)
    assert shown == {
        "title": NOTICE.subject,
        "body": NOTICE.text,
        "tag": OUTBOX_ID,
        "data": {"url": base + "/notifications/"},
    }

    # A click opens the notice's page: a path of this site, never another site.
    [worker] = [w for w in browser.service_workers if w.url == base + WORKER]
    opens = worker.evaluate(
        """() => [noticeUrl({url: "/cases/"}), noticeUrl({url: "https://contoh.example/x"}),
                  noticeUrl({}), noticeUrl(null)]"""
    )
    assert opens == [base + "/cases/", base + "/", base + "/", base + "/"]
    assert errors == []
    assert json.loads(payload)["url"] == "/notifications/"
