"""A refused reveal answers its own status and shows its reason where the value would have
appeared (htmx swaps the marked fragment in place); nothing is revealed or audited."""

from types import SimpleNamespace

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import ratelimit
from amanah.core.roles import RoleKey as R
from amanah.core.view_helpers import REFUSED_FRAGMENT_HEADER
from amanah.customers.services import CustomerInput, customer_create

PHONE = "+6281370002002"
HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = {"reason": "konfirmasi nomor pengaduan"}


def _customer(system, branch):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Hj. Siti Aminah Nasution",
            home_branch=branch,
            phone="081370002002",
            nik="1271012304850003",
        ),
    )


@pytest.fixture
def customer(db, system, branch_a):
    return _customer(system, branch_a)


@pytest.fixture
def supervisor(make_user, branch_a):
    return sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))


def _reveals() -> int:
    return AuditLog.objects.filter(action="REVEAL_FIELD").count()


def _assert_refused_in_place(response, status: int, *, message: str = "") -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert response[REFUSED_FRAGMENT_HEADER] == "1"
    assert 'class="form-error"' in body and "<html" not in body
    assert PHONE not in body and message in body
    assert _reveals() == 0
    return body


def test_a_reveal_without_a_reason_is_a_400_in_place(supervisor, customer):
    response = supervisor.post(f"/customers/{customer.pk}/reveal/phone/", {"reason": "x"}, **HTMX)
    _assert_refused_in_place(response, 400, message="minimal 10 karakter")


def test_a_role_without_the_permission_gets_a_403_in_place(signed_in, customer, branch_a):
    client, _agent = signed_in(R.AGENT, branches=[branch_a])
    url = f"/customers/{customer.pk}/reveal/phone/"
    _assert_refused_in_place(client.post(url, REASON, **HTMX), 403, message="izin")
    page = client.post(url, REASON)  # without htmx: the whole error page
    assert page.status_code == 403 and "<html" in page.content.decode()
    assert REFUSED_FRAGMENT_HEADER not in page


def test_a_customer_out_of_scope_is_a_404_in_place(supervisor, system, branch_b):
    other = _customer(system, branch_b)
    response = supervisor.post(f"/customers/{other.pk}/reveal/phone/", REASON, **HTMX)
    _assert_refused_in_place(response, 404, message="tidak ditemukan")


def test_an_identifier_the_customer_lacks_is_a_404_in_place(supervisor, customer):
    response = supervisor.post(f"/customers/{customer.pk}/reveal/npwp/", REASON, **HTMX)
    _assert_refused_in_place(response, 404)


def test_a_burst_of_reveals_is_refused_with_429(supervisor, customer, settings, monkeypatch):
    settings.PII_REVEAL_RATE_LIMIT_PER_MINUTE = 2
    # The counter's clock alone stands still: all three reveals fall in one window.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_010.0))
    url = f"/customers/{customer.pk}/reveal/phone/"
    for _ in range(2):
        shown = supervisor.post(url, REASON, **HTMX)
        assert shown.status_code == 200 and PHONE in shown.content.decode()
        assert REFUSED_FRAGMENT_HEADER not in shown
    refused = supervisor.post(url, REASON, **HTMX)
    body = refused.content.decode()
    assert (refused.status_code, refused["Retry-After"]) == (429, "50")
    assert refused[REFUSED_FRAGMENT_HEADER] == "1"
    assert "Terlalu banyak data dibuka" in body and PHONE not in body
    assert _reveals() == 2  # the refused one is not audited: nothing was revealed
