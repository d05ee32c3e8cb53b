"""The core view helpers answer a refusal by its code: field error + 400, 429, flash + 303;
JSON for scripts and marked fragments for htmx the same way."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from amanah.core.errors import (
    FORBIDDEN,
    NOT_FOUND,
    NotFound,
    RateLimited,
    ServiceError,
    http_status_for,
)
from amanah.core.view_helpers import (
    REFUSED_FRAGMENT_HEADER,
    Done,
    render_fragment,
    run_action,
    run_json,
    submit_form,
    wants_json,
)


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)


def _post(data):
    request = RequestFactory().post("/probe/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _json(response):
    return json.loads(response.content)


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


def test_a_rate_limited_form_page_says_when_to_try_again():
    def limited(_data):
        raise RateLimited("Terlalu sering", retry_after=30)

    response = _submit(_post({"name": "Siti"}), limited)
    assert (response.status_code, response["Retry-After"]) == (429, "30")


def test_an_invalid_form_action_is_refused_with_the_views_own_message():
    calls = []
    request = _post({"name": ""})
    response = run_action(
        request, calls.append, back="/b/", form=NameForm(request.POST), invalid="Isi nama."
    )
    assert (response.status_code, response["Location"], calls) == (303, "/b/", [])
    assert [str(m) for m in get_messages(request)] == ["Isi nama."]


def test_a_script_asks_for_json():
    request = RequestFactory().post("/probe/", HTTP_ACCEPT="application/json, text/plain")
    assert wants_json(request) and not wants_json(_post({}))


def test_json_success_answers_the_actions_body():
    response = run_json(_post({}), lambda: {"status": "OK"})
    assert (response.status_code, _json(response)) == (200, {"status": "OK"})


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (ServiceError("field_required", "Alasan wajib.", field="reason"), 400, None),
        (RateLimited("Alasan wajib.", retry_after=7, field="reason"), 429, "7"),
    ],
)
def test_a_json_refusal_has_the_api_shape_and_its_status(error, status, retry_after):
    def refused():
        raise error

    response = run_json(_post({}), refused)
    assert response.status_code == status and response.get("Retry-After") == retry_after
    assert _json(response) == {"code": error.code, "message": "Alasan wajib.", "field": "reason"}


def test_an_invalid_form_never_reaches_the_service_from_a_script_either():
    calls = []
    request = _post({"name": ""})
    response = run_json(request, calls.append, form=NameForm(request.POST))
    assert response.status_code == 400 and calls == []
    assert _json(response)["code"] == "invalid" and _json(response)["message"]


@pytest.fixture
def fragment(settings):
    """A fragment template that prints what it is given, so the tests can read it back."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"probe.html": "counts={{ counts }} error={{ error }}"},
                    )
                ]
            },
        }
    ]
    return "probe.html"


def test_a_fragment_renders_what_the_service_computed(fragment):
    response = render_fragment(_post({}), lambda: {"counts": 4}, template=fragment)
    assert response.status_code == 200 and REFUSED_FRAGMENT_HEADER not in response
    assert response.content.decode() == "counts=4 error="


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (ServiceError("rule_invalid", "Aturan salah"), 400, None),
        (RateLimited("Aturan salah", retry_after=5), 429, "5"),
    ],
)
def test_a_refused_fragment_carries_its_reason_status_and_mark(
    fragment, error, status, retry_after
):
    def refused():
        raise error

    response = render_fragment(_post({}), refused, template=fragment)
    assert (response.status_code, response.get("Retry-After")) == (status, retry_after)
    assert response[REFUSED_FRAGMENT_HEADER] == "1"
    assert response.content.decode() == "counts= error=Aturan salah"


def test_an_invalid_fragment_form_is_refused_with_the_views_message(fragment):
    calls = []
    request = _post({"name": ""})
    response = render_fragment(
        request, calls.append, template=fragment, form=NameForm(request.POST), invalid="Periksa."
    )
    assert (response.status_code, response[REFUSED_FRAGMENT_HEADER], calls) == (400, "1", [])
    assert response.content.decode() == "counts= error=Periksa."


@pytest.mark.parametrize(
    ("missing", "status", "reason"),
    [(PermissionDenied(), 403, "izin"), (NotFound(), 404, "tidak ditemukan")],
)
def test_a_missing_permission_or_object_is_refused_in_place_with_its_status(
    fragment, missing, status, reason
):
    def refused():
        raise missing

    response = render_fragment(_post({}), refused, template=fragment, context={"counts": "-"})
    assert (response.status_code, response[REFUSED_FRAGMENT_HEADER]) == (status, "1")
    body = response.content.decode()
    assert body.startswith("counts=- error=") and reason in body


def test_the_status_of_a_missing_permission_or_object_comes_from_its_code():
    assert http_status_for(ServiceError(FORBIDDEN)) == 403
    assert http_status_for(ServiceError(NOT_FOUND)) == 404


def test_an_action_may_answer_with_a_page_of_its_own():
    page = HttpResponse("sekali saja")
    assert run_action(_post({}), lambda: page, back="/b/") is page


def test_a_refused_action_says_what_it_is_about_and_keeps_its_retry_after():
    def limited():
        raise RateLimited("Terlalu sering", retry_after=7)

    def refused():
        raise ServiceError("timezone_mismatch", "Zona waktu berbeda")

    request = _post({})
    response = run_action(request, refused, back="/b/", about="MDN01")
    assert [str(m) for m in get_messages(request)] == ["MDN01: Zona waktu berbeda"]
    limited_response = run_action(_post({}), limited, back="/b/", about="MDN01")
    assert (limited_response.status_code, limited_response["Retry-After"]) == (429, "7")
    assert "MDN01: Terlalu sering" in limited_response.content.decode()
    assert response.status_code == 303


def _catches_service_error(source: str) -> bool:
    def names(node) -> set[str]:
        if isinstance(node, ast.Tuple):
            return set().union(*(names(element) for element in node.elts))
        if isinstance(node, ast.Attribute):
            return {node.attr}
        return {node.id} if isinstance(node, ast.Name) else set()

    return any(
        isinstance(node, ast.ExceptHandler) and "ServiceError" in names(node.type)
        for node in ast.walk(ast.parse(source))
    )


def test_the_check_sees_a_caught_service_error():
    caught = "try:\n    f()\nexcept (ValueError, errors.ServiceError):\n    pass"
    assert _catches_service_error(caught)
    assert not _catches_service_error(caught.replace("errors.ServiceError", "KeyError"))


def test_views_leave_refusals_to_the_helpers():
    root = Path(__file__).resolve().parents[2]
    modules = [*root.glob("*/views.py"), *root.glob("*/views/*.py")]
    catching = {
        path.relative_to(root).parts[0]
        for path in modules
        if _catches_service_error(path.read_text(encoding="utf-8"))
    }
    assert modules and not catching, sorted(catching)
