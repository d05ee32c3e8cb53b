"""Web Push in a real browser: Debian's Chromium against the seeded demo instance
(amanah.e2e.server, VAPID key configured).

- With a profile on disk (as a member of staff's browser): the menu leads to the push page, the
  service worker registers (script ``/messaging/push/sw.js``, scope the settings page), and
  turning notifications on without a reachable push service (none here: no internet; Chromium's
  ``pushManager.subscribe`` then never settles) says so in Indonesian and saves nothing.
- In a throwaway (incognito) context, where Chromium refuses the Push API at once: the same
  message, then a push — the exact JSON ``providers.webpush.push_payload`` encrypts for the push
  service, handed to the worker through the DevTools protocol
  (``ServiceWorker.deliverPushMessage``) — shows as a notification with the notice's title,
  text, tag and URL, and a second one with the same tag replaces it. (In the profile, a push
  delivered while the hanging subscribe is pending is held back by Chromium: hence two
  browsers.)
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import pytest

from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_HEX
from amanah.e2e.browser import chromium_available, launch, launch_profile, sign_in
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

# Page-side waits on a condition (wait_for_function does not await an async predicate): what
# was found once the condition holds, null when it still does not at the deadline.
UNTIL = """async (expected, waitMs = 15000) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
        const reg = await navigator.serviceWorker.getRegistration("%s");
        const found = reg ? await (%s)(reg) : null;
        if (found !== null && (expected === null || JSON.stringify(found).includes(expected))) {
            return found;
        }
        if (Date.now() > deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}"""
REGISTRATION = UNTIL % (
    SCOPE,
    "async (reg) => reg.active ? [reg.scope, reg.active.scriptURL, reg.active.state] : null",
)
NOTIFICATIONS = UNTIL % (
    SCOPE,
    """async (reg) => {
        const shown = await reg.getNotifications();
        return shown.length ? shown.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                                  data: n.data})) : null;
    }""",
)


@pytest.fixture
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def _ready(context, base: str):
    context.set_default_timeout(15_000)
    context.grant_permissions(["notifications"], origin=base)
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "agent", DEMO_PASSWORD, DEMO_TOTP_HEX)
    return page, errors


def _turn_on(page, *, give_up_ms: str = "20000") -> str:
    page.wait_for_selector("#push-settings[data-ready=true]")
    page.eval_on_selector("#push-settings", "(box, ms) => { box.dataset.subscribeTimeout = ms; }",
                          give_up_ms)  # fmt: skip
    page.click("[data-push=subscribe]")
    page.wait_for_selector("[data-push=status][data-state=unreachable]")
    return page.inner_text("[data-push=status]")


def _subscriptions_shown(page) -> str:
    page.reload()
    page.wait_for_selector("#push-settings[data-ready=true]")
    return page.inner_text("main")


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


def test_without_a_push_service_the_page_says_so_and_saves_nothing(playwright, base, tmp_path):
    context = launch_profile(
        playwright, tmp_path / "profile", viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    try:
        page, errors = _ready(context, base)

        # The menu leads there (beside the user's name), for any member of staff.
        page.click(f"header a[href='{SCOPE}']")
        page.wait_for_selector("#push-settings[data-ready=true]")
        assert "Anda berlangganan di 0 peramban" in page.inner_text("main")

        # Nothing subscribed yet: the off button says so.
        page.click("[data-push=unsubscribe]")
        page.wait_for_selector("[data-push=status][data-state=none]")
        assert "belum berlangganan" in page.inner_text("[data-push=status]")

        # On: the worker registers, the push service never answers, the page gives up.
        assert "tidak dapat dihubungi" in _turn_on(page, give_up_ms="3000")
        assert page.evaluate(REGISTRATION, "activated") == [
            base + SCOPE,
            base + WORKER,
            "activated",
        ]
        assert "Anda berlangganan di 0 peramban" in _subscriptions_shown(page)
        assert errors == []
    finally:
        context.close()


def test_a_push_shows_the_notice_from_the_service_worker(playwright, base):
    browser = launch(playwright)
    try:
        context = browser.new_context(locale="id-ID")
        page, errors = _ready(context, base)
        page.goto(base + SCOPE)
        assert "tidak dapat dihubungi" in _turn_on(page)  # refused at once here
        assert "Anda berlangganan di 0 peramban" in _subscriptions_shown(page)
        assert page.evaluate(REGISTRATION, "activated")[1] == base + WORKER

        cdp = context.new_cdp_session(page)
        registration = _registration_id(cdp, page, base)

        def deliver(message: OutgoingMessage, expected: str | None = None) -> list[dict] | None:
            """Hands the push to the worker and waits for its notification. Chromium drops a
            DevTools push now and then when the machine is loaded (the worker did not start in
            time); a push service retries such a delivery, and so does this, up to three times —
            the same tag, so a retry can only replace, never add."""
            for _ in range(3):
                cdp.send(
                    "ServiceWorker.deliverPushMessage",
                    {"origin": base, "registrationId": registration,
                     "data": push_payload(message).decode()},
                )  # fmt: skip
                shown = page.evaluate(f"(expected) => ({NOTIFICATIONS})(expected, 7000)", expected)
                if shown is not None:
                    return shown
            return None

        assert deliver(NOTICE) == [{
            "title": NOTICE.subject,
            "body": NOTICE.text,
            "tag": OUTBOX_ID,
            "data": {"url": base + "/notifications/"},
        }]  # fmt: skip
        again = replace(NOTICE, text="Kasus PGD-2026-000123: sisa 10 menit.")
        shown = deliver(again, json.dumps(again.text, ensure_ascii=False)) or []
        assert [n["body"] for n in shown] == [again.text]  # replaced, not added

        # A click opens the notice's page: a path of this site, never another site.
        [worker] = [w for w in context.service_workers if w.url == base + WORKER]
        opens = worker.evaluate(
            """() => [noticeUrl({url: "/cases/"}), noticeUrl({url: "https://contoh.example/x"}),
                      noticeUrl({}), noticeUrl(null)]"""
        )
        assert opens == [base + "/cases/", base + "/", base + "/", base + "/"]
        assert errors == []
    finally:
        browser.close()
