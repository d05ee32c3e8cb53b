"""Debian's Chromium driven by Playwright (no browser download), and small page helpers."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from django_otp.oath import TOTP

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("AMANAH_TEST_ARTIFACTS", "test-artifacts")) / "demo"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def launch_profile(playwright, user_data_dir: Path, **options):
    """A browser with a profile on disk, as a member of staff has: unlike the throwaway
    (incognito) contexts of ``launch``, it offers the Push API."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=FLAGS, **options
    )


class Steps:
    """Numbered screenshots, one per step of the demo script."""

    def __init__(self, page):
        self.page, self.n = page, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):  # only this run's pictures
            old.unlink()

    def shot(self, name: str, page=None) -> None:
        """The next numbered screenshot, of the script's page or of another one (a customer's
        browser beside the staff's)."""
        self.n += 1
        (page or self.page).screenshot(
            path=str(ARTIFACTS / f"{self.n:02d}-{name}.png"), full_page=True
        )


def sign_in(page, base: str, username: str, password: str, totp_hex: str | None = None) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    if "/mfa/" in page.url:
        _answer_mfa(page, totp_hex)
    page.wait_for_selector("[data-testid=who]")


def _answer_mfa(page, totp_hex: str) -> None:
    """The second factor, as a phone's authenticator gives it. A code is good once: when an
    earlier test signed the same demo user in within this 30-second step, the server refuses
    the replay. Then the next step's code (inside the server's tolerance of one step) is
    sent, and if that was used too, the next step's code once the clock has moved on. The
    pauses outlast django-otp's throttle after a wrong code (1 s, then 2 s)."""
    totp = TOTP(bytes.fromhex(totp_hex))
    for steps_ahead, pause in ((0, 0.0), (1, 1.5), (1, totp.step + 2.5)):
        if "/mfa/" not in page.url:
            return
        time.sleep(pause)
        totp.time = time.time() + steps_ahead * totp.step
        page.fill("#id_token", f"{totp.token():06d}")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()


def staff_page(browser, base: str, username: str, password: str, totp_hex: str, **context):
    """A browser context of its own for one member of staff (desktop size unless ``context``
    says otherwise: a phone's viewport, a geolocation), signed in: each keeps its session
    and its one use of a TOTP code."""
    options = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID", **context}
    page = browser.new_context(**options).new_page()
    sign_in(page, base, username, password, totp_hex)
    return page
