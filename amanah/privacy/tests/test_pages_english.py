"""The UU PDP pages speak Indonesian by default and English when asked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R

PAGES = [
    (
        "privacy:dsar_list",
        R.COMPLIANCE,
        "Ekspor data subjek (UU PDP)",
        "Data subject access export",
    ),
    ("privacy:breach_list", R.COMPLIANCE, "Tenggat pemberitahuan", "Notification deadline"),
    (
        "privacy:correction_list",
        R.SUPERVISOR,
        "Koreksi data pribadi (UU PDP)",
        "Personal data correction (PDP Law)",
    ),
    ("dashboards:compliance", R.COMPLIANCE, "Dasbor kepatuhan", "Compliance dashboard"),
]


@pytest.mark.parametrize(("url_name", "role", "indonesian", "english"), PAGES)
def test_indonesian_by_default_english_when_asked(make_user, url_name, role, indonesian, english):
    client = sign_in(Client(), make_user(role))
    page = client.get(reverse(url_name)).content.decode()
    assert indonesian in page
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(reverse(url_name)).content.decode()
    assert english in page and indonesian not in page
