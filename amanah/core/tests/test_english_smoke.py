"""One English-locale smoke test per app: its main page opens in English for a role that may
see it, and the page's frame (menu, sign-out) is English, not Indonesian left untranslated.

A new app adds its main page to ``PAGES``; the English catalogue is ``amanah/locale/en``."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.core.testing import deployment_showing

PAGES = {
    "core": ("core:home", R.AGENT),
    "customer360": ("customer360:search", R.AGENT),
    "customers": ("customers:duplicates", R.SUPERVISOR),
    "cases": ("cases:queue", R.SUPERVISOR),
    "notifications": ("notifications:inbox", R.AGENT),
    "sales": ("sales:board", R.RM),
    "marketing": ("marketing:campaign_list", R.MARKETING),
    "iam": ("iam:user_list", R.ADMIN),
    "audit": ("audit:list", R.COMPLIANCE),
    "calendars": ("calendars:list", R.ADMIN),
    "workflow": ("workflow:list", R.ADMIN),
    "insight": ("insight:rfm_runs", R.ADMIN),
    "followup": ("followup:dashboard", R.SUPERVISOR),
    "surveys": ("surveys:dashboard", R.SUPERVISOR),
    "integrations": ("integrations:system_list", R.ADMIN),
    "privacy": ("privacy:dsar_list", R.COMPLIANCE),
    "payments": ("payments:list", R.SUPERVISOR),
}


@pytest.mark.parametrize("app", sorted(PAGES))
def test_the_app_speaks_english_when_asked(app, make_user, branch_a):
    url_name, role = PAGES[app]
    user = make_user(role, branches=[branch_a])
    client = sign_in(Client(), user)
    client.cookies["django_language"] = "en"
    # The middleware activates English on this thread; override() puts the language back.
    # As a deployment that shows the app (payments: the PDAM's).
    with deployment_showing(app), translation.override(translation.get_language()):
        page = client.get(reverse(url_name))
    assert page.status_code == 200, app
    assert page.headers["Content-Language"] == "en"
    body = page.content.decode()
    assert '<html lang="en">' in body
    assert "Sign out" in body and "Keluar" not in body
