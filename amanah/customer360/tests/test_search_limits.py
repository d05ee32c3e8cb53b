"""A rate-limited search answers 429 with Retry-After — API, page and htmx partial alike, in
every language (the status comes from the error code, never from the message text)."""

import json
import re

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.core.view_helpers import REFUSED_FRAGMENT_HEADER
from amanah.iam import services as iam


@pytest.fixture
def limit_two(settings):
    settings.SEARCH_RATE_LIMIT_PER_MINUTE = 2


def _exhaust(get):
    for _ in range(2):
        assert get().status_code == 200
    return get()


def test_api_answers_429_with_retry_after_in_the_one_error_shape(limit_two, make_user, branch_a):
    user = make_user(R.AGENT, branches=[branch_a])
    token = iam.api_token_create(actor=SystemActor("t"), user=user, role="AGENT", name="t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    refused = _exhaust(lambda: Client().get("/api/v1/customers/search", {"q": "Rizky"}, **headers))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "rate_limited" and body["message"] and "field" in body


@pytest.mark.parametrize("language", ["id", "en"])
def test_page_answers_429_in_every_language(limit_two, make_user, branch_a, language):
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    client.cookies["django_language"] = language
    refused = _exhaust(lambda: client.get("/customers/", {"q": "Rizky"}))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert 'data-testid="search-error"' in refused.content.decode()


def test_htmx_partial_carries_the_message_with_429(limit_two, make_user, branch_a):
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    refused = _exhaust(lambda: client.get("/customers/", {"q": "Rizky"}, HTTP_HX_REQUEST="true"))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert 'data-testid="search-error"' in page and "<html" not in page


def test_htmx_is_configured_to_swap_a_429_so_the_message_is_seen(make_user, branch_a):
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    page = client.get("/customers/").content.decode()
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1))
    rules = config["responseHandling"]
    first_match = next(r for r in rules if re.fullmatch(r["code"], "429"))
    assert first_match["swap"] is True
    assert next(r for r in rules if re.fullmatch(r["code"], "500"))["swap"] is False


@pytest.mark.parametrize("htmx", [{}, {"HTTP_HX_REQUEST": "true"}])
def test_short_query_is_refused_in_place_not_rate_limited(make_user, branch_a, htmx):
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    answer = client.get("/customers/", {"q": "ab"}, **htmx)
    assert answer.status_code == 400 and "Retry-After" not in answer
    assert answer[REFUSED_FRAGMENT_HEADER] == "1"  # htmx swaps it in place of the results
    page = answer.content.decode()
    assert 'data-testid="search-error"' in page and "minimal 3 karakter" in page
    assert not AuditLog.objects.filter(action="SEARCH_CUSTOMER").exists()


def test_an_empty_search_page_is_no_refusal(make_user, branch_a):
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    answer = client.get("/customers/")
    assert answer.status_code == 200 and 'data-testid="search-error"' not in answer.content.decode()
