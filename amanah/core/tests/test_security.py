"""Security headers, CSP without inline code, and a shell that speaks Indonesian first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from amanah.core.roles import RoleKey as R

TEMPLATES = [p for p in Path(__file__).resolve().parents[2].rglob("templates/**/*.html")]


def test_templates_exist_to_check():
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_carry_no_inline_script_or_style(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), "inline style attribute"
    assert "hx-on" not in text
    assert not re.search(r"https?://(?!\{\{)", text.replace("http://www.w3.org", "")), (
        "external URL"
    )


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_production_defaults_are_strict():
    from amanah import settings as configured

    if configured.AMANAH_ENV != "test":
        pytest.skip("only meaningful under the test environment")
    import subprocess
    import sys

    probe = (
        "import os; os.environ['AMANAH_ENV']='production'; os.environ.pop('SECRET_KEY', None)\n"
        "try:\n    import amanah.settings\nexcept Exception as e:\n    print(type(e).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "ImproperlyConfigured" in out.stdout  # production refuses to start without a secret
    probe = (
        "import os\n"
        "os.environ.update(AMANAH_ENV='production', SECRET_KEY='x'*50, AUDIT_CHAIN_KEY='k'*50,"
        " MESSAGING_ADDRESS_KEY='m'*50,\n"
        " DOCUMENTS_MASTER_KEY='d'*50, INTEGRATIONS_WEBHOOK_KEY='w'*50)\n"
        "import amanah.settings as s\n"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True"]


@pytest.mark.django_db
def test_indonesian_by_default_english_on_request(client):
    assert "Masuk dengan akun kantor Anda" in client.get("/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Sign in" in client.get("/login/").content.decode()


def test_health_check_is_public_and_touches_the_database(db, client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_navigation_shows_only_what_the_role_may_open(signed_in):
    agent_client, _ = signed_in(R.AGENT)
    page = agent_client.get("/").content.decode()
    assert "/audit/" not in page and "/admin/users/" not in page
    supervisor_client, _ = signed_in(R.SUPERVISOR)
    assert "/branches/mine/" in supervisor_client.get("/").content.decode()


def test_unknown_page_is_a_friendly_404(signed_in):
    client, _ = signed_in(R.AGENT)
    response = client.get("/tidak-ada/")
    assert response.status_code == 404 and "tidak ditemukan" in response.content.decode()


def test_uploads_are_capped():
    from amanah import settings as configured

    assert configured.DATA_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024


def test_bad_login_input_is_never_a_500(db):
    client = Client()
    for data in (
        {},
        {"username": "x" * 5000, "password": "y"},
        {"username": "\x00", "password": "\x00"},
    ):
        # A form error (200) or, for control characters, the input layer's refusal (400).
        assert client.post("/login/", data).status_code in (200, 400)


@pytest.mark.django_db
def test_browser_language_does_not_override_the_indonesian_default(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Masuk dengan akun kantor Anda" in page


def test_no_menu_before_the_second_factor(make_user):
    from amanah.conftest import PASSWORD

    user = make_user(R.ADMIN)
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    page = client.get("/mfa/").content.decode()
    assert "/admin/users/" not in page and 'class="topbar"' not in page
