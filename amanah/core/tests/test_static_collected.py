"""Every page answered 500 after the README's ``amanah migrate && amanah serve`` (issue 50.2):
the static files were never collected, while ``/healthz`` said ok. Now ``/healthz`` answers
503 (reason ``static``) for a process whose pages would fail, and ``amanah serve`` collects the
files before it starts — again only when their sources changed (an upgrade), not on every
restart."""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client

from amanah.core import staticfiles

PRODUCTION_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "amanah.core.staticfiles.StaticFilesStorage"},
}


@pytest.fixture
def sources(settings, tmp_path):
    """The production storage (whitenoise's manifest) over a small source folder of its own."""
    folder = tmp_path / "src"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "favicon.svg").write_text("<svg/>")
    (folder / "site.css").write_text("body { color: black; }")
    settings.STATICFILES_DIRS = [folder]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = PRODUCTION_STORAGE
    return folder


def test_health_is_503_while_the_pages_would_fail_for_want_of_static_files(
    sources, on_own_connection
):
    client = Client()
    assert staticfiles.not_collected()
    response = on_own_connection(client.get, "/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "static"}


def test_serve_collects_once_and_again_only_when_the_sources_change(
    sources, settings, on_own_connection
):
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    assert staticfiles.collect() is True
    first = json.loads(manifest.read_text())["paths"]["site.css"]
    settings.STATIC_ROOT = settings.STATIC_ROOT  # a process started now: its storage anew
    assert not staticfiles.not_collected()
    assert on_own_connection(Client().get, "/healthz").status_code == 200

    assert staticfiles.collect() is False  # a restart: nothing changed, nothing done
    css = sources / "site.css"
    css.write_text("body { color: navy; }")
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 10**9))
    assert staticfiles.collect() is True  # an upgrade brought another file
    assert json.loads(manifest.read_text())["paths"]["site.css"] != first
