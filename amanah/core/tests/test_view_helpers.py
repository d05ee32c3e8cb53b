"""The core view helpers answer a refusal by its code: field error + 400, 429, flash + 303."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from amanah.core.errors import ServiceError, http_status_for
from amanah.core.view_helpers import Done, run_action, submit_form


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)


def _post(data):
    request = RequestFactory().post("/probe/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _refuse(code, field=None):
    def submit(_data):
        raise ServiceError(code, "ditolak", field=field)

    return submit


def _submit(request, submit):
    form = NameForm(request.POST)
    return submit_form(request, form, submit, template="core/error.html", context={"code": 0})


def test_the_status_comes_from_the_error_code_never_the_text():
    assert http_status_for(ServiceError("rate_limited", "Coba lagi dalam 30 detik")) == 429
    assert http_status_for(ServiceError("rate_limited", "Try again in 30 seconds")) == 429
    assert http_status_for(ServiceError("reason_required", "… detik …")) == 400


def test_success_flashes_and_answers_303():
    request = _post({"name": "Siti"})
    response = _submit(request, lambda data: Done("/next/", f"Tersimpan {data['name']}"))
    assert (response.status_code, response["Location"]) == (303, "/next/")
    assert [str(m) for m in get_messages(request)] == ["Tersimpan Siti"]


@pytest.mark.parametrize(("code", "status"), [("name_taken", 400), ("rate_limited", 429)])
def test_a_refusal_comes_back_on_the_form_next_to_its_field(code, status):
    request = _post({"name": "Siti"})
    form = NameForm(request.POST)
    response = submit_form(
        request, form, _refuse(code, "name"), template="core/error.html", context={"code": 0}
    )
    assert response.status_code == status
    assert form.errors == {"name": ["ditolak"]}


def test_an_invalid_form_never_reaches_the_service():
    calls = []
    response = _submit(_post({"name": ""}), calls.append)
    assert response.status_code == 400 and calls == []


def test_a_refused_action_flashes_and_goes_back_with_303():
    def refused():
        raise ServiceError("not_allowed_now", "ditolak")

    request = _post({})
    response = run_action(request, refused, back="/b/")
    assert (response.status_code, response["Location"]) == (303, "/b/")
    assert [str(m) for m in get_messages(request)] == ["ditolak"]


def test_a_rate_limited_action_answers_429_with_its_message():
    def limited():
        raise ServiceError("rate_limited", "Terlalu sering")

    response = run_action(_post({}), limited, back="/b/")
    assert response.status_code == 429 and "Terlalu sering" in response.content.decode()
