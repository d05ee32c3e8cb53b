"""Error pages render for any user object, and the API never answers with the HTML page."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from amanah.core import views
from amanah.core.actors import SystemActor
from amanah.core.fields import BoundedDateField
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam


@pytest.fixture
def token_user(make_user):
    """A user as API-token authentication leaves it: no OTP middleware ran (no is_verified)."""
    user = make_user(R.ADMIN)
    assert not hasattr(user, "is_verified")
    return user


@pytest.mark.parametrize("handler", ["error_400", "error_403", "error_404", "error_500"])
def test_api_errors_answer_json_in_the_one_shape(token_user, handler):
    request = RequestFactory().get("/api/v1/cases/x")
    request.user = token_user
    response = getattr(views, handler)(request)
    body = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert set(body) >= {"code", "message", "field"}


@pytest.mark.parametrize("user", ["token", "anonymous", "none"])
def test_html_error_page_renders_for_any_user_object(token_user, user):
    request = RequestFactory().get("/cases/x/")
    if user != "none":
        request.user = token_user if user == "token" else AnonymousUser()
    response = views.error_500(request)
    assert response.status_code == 500 and b"<html" in response.content


def test_refused_input_answers_json_for_the_api_and_a_page_for_people(signed_in):
    client, _user = signed_in(R.AGENT)
    page = client.get("/customers/", {"q": "a\x00b"})
    assert page.status_code == 400 and b"<html" in page.content
    api = Client().post(
        "/api/v1/cases", '{"description": "a\\u0000b"}', content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["code"] == "invalid_characters"
    assert api.json()["field"] == "description"


def test_dates_out_of_range_are_refused_with_their_code(signed_in, make_user):
    field = BoundedDateField()
    with pytest.raises(ValidationError) as refused:
        field.clean("9999-12-31")
    assert refused.value.code == "date_out_of_range"
    assert field.clean("2026-11-23").year == 2026
    client, _user = signed_in(R.COMPLIANCE)
    assert client.get("/audit/", {"date_to": "9999-12-31"}).status_code == 200  # filter ignored
    user = make_user(R.COMPLIANCE)
    token = iam.api_token_create(actor=SystemActor("t"), user=user, role="COMPLIANCE", name="t")
    api = Client().get(
        "/api/v1/audit/events",
        {"date_to": "9999-12-31"},
        HTTP_AUTHORIZATION=f"Bearer {token[1]}",
    )
    assert api.status_code == 422 and api.json()["code"] == "date_out_of_range"
    assert api.json()["field"] == "date_to"


@pytest.mark.parametrize(("path", "kind"), [("/cases/x/", "text/html"), ("/api/v1/x", "json")])
def test_a_model_validation_error_is_a_400_not_a_500(path, kind):
    from amanah.core.inputs import HostileInputMiddleware

    request = RequestFactory().get(path)
    error = ValidationError({"phone": ["Nomor tidak valid."]})
    response = HostileInputMiddleware(lambda r: None).process_exception(request, error)
    assert response.status_code == 400 and kind in response["Content-Type"]


@pytest.mark.parametrize("handler", ["error_403", "error_404"])
def test_an_htmx_fragment_request_gets_its_refusal_in_place(make_user, handler):
    """A 403/404 met before a fragment is rendered (the view's permission, a lookup) is swapped
    in where the piece goes; a whole page (no htmx, a boosted navigation) stays a page."""
    factory = RequestFactory()
    fragment = factory.post("/customers/x/reveal/phone/", HTTP_HX_REQUEST="true")
    page = factory.post("/customers/x/reveal/phone/")
    boosted = factory.get("/cases/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    for request in (fragment, page, boosted):
        request.user = make_user(R.AGENT)
    status = 403 if handler == "error_403" else 404
    answer = getattr(views, handler)(fragment)
    body = answer.content.decode()
    assert (answer.status_code, answer["Amanah-Refused-Fragment"]) == (status, "1")
    assert 'class="form-error"' in body and "<html" not in body
    for whole in (page, boosted):
        answer = getattr(views, handler)(whole)
        assert answer.status_code == status and "<html" in answer.content.decode()
        assert "Amanah-Refused-Fragment" not in answer
