"""Debian's Chromium driven by Playwright (no browser download), and small page helpers."""

from __future__ import annotations

import os
import shutil
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
        token = TOTP(bytes.fromhex(totp_hex)).token()
        page.fill("#id_token", f"{token:06d}")
        page.click("main form button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
