"""JSON nested too deep never answers 5xx, on any route (issue 51, 3): a 10 kB body nested
5,000 deep was a ``RecursionError`` — a 500 — in every view that parses it
(``/lapangan/app/sync`` among them, which checks its own input item by item).

The kernel's guard (``core.inputs.nesting_problem``) refuses it with 400 before any view
parses it, so every route is walked here without knowing which of them read JSON: every URL
of the URL conf (its arguments filled from fresh ids — the guard answers before a view
looks anything up), as an ``application/json`` body, as a body its sender mislabelled
``text/plain`` and as a form field (a journey graph, an area outline are JSON in a form);
every operation of the API's OpenAPI schema that takes a body; and the lean chain of the
payment callbacks (``core.lean``) as gunicorn serves it (``core.testing.served``). Each answer
is 400 with the code ``json_too_deep`` — but a signed callback's (``SIGNED_REQUEST``): it
reads nothing before its signature holds, so an unsigned body is refused unread (401, or 404
where the provider is not configured) — and nothing is written (no audit row: no view ran).

``json_too_deep`` itself is held to a recursive count of the parsed value (hypothesis).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from amanah.api import api
from amanah.audit.models import AuditLog
from amanah.conftest import create_user, sign_in_directly
from amanah.core import routes
from amanah.core.actors import SystemActor
from amanah.core.inputs import MAX_JSON_DEPTH, json_too_deep
from amanah.core.lean import LEAN_PREFIXES
from amanah.core.permissions import SIGNED_REQUEST, catalogue
from amanah.core.roles import RoleKey
from amanah.core.testing import served
from amanah.core.tests.test_hostile_input import fill
from amanah.iam import services as iam
from amanah.iam.models import Role, RolePermission

# 10 kB nested 5,000 deep, as the issue sent it (closed: valid JSON, only too deep).
DEEP = '{"results": ' + "[" * 5_000 + "]" * 5_000 + "}"
# Unclosed, deeper than the parser's stack (the API walk's old probe) and one past the limit.
PROBES = {
    "deep": DEEP,
    "unclosed": "[" * 100_000,
    "just-too-deep": "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
}
FORM_FIELDS = ("graph", "condition", "polygon", "results")


@pytest.fixture
def admin(db):
    system = SystemActor("system:test")
    role = Role.objects.get(key=RoleKey.ADMIN)
    RolePermission.objects.bulk_create(
        [RolePermission(role=role, permission=code) for code in catalogue()],
        ignore_conflicts=True,
    )
    return create_user(system, RoleKey.ADMIN)


def _refused(response, what: str, failures: list, *, signed: bool = False) -> None:
    if signed:  # refused unread, before its signature, whatever the body
        if not 400 <= response.status_code < 500:
            failures.append(f"{response.status_code} {what}")
        return
    if response.status_code != 400:
        failures.append(f"{response.status_code} {what}")
        return
    if response.get("Content-Type", "").startswith("application/json"):
        code = response.json().get("code")
        if code != "json_too_deep":
            failures.append(f"400 {code} {what}")


def test_every_route_refuses_json_nested_too_deep_before_a_view_reads_it(admin):
    client = sign_in_directly(Client(raise_request_exception=False), admin)
    written = AuditLog.objects.count()
    failures: list[str] = []
    signed = {
        fill(route.pattern, admin)
        for route in routes.url_routes()
        if route.permission == SIGNED_REQUEST
    }
    urls = sorted({fill(route.pattern, admin) for route in routes.url_routes()})
    for url in urls:
        for name, probe in PROBES.items():
            for content_type in ("application/json", "text/plain"):
                response = client.post(url, probe, content_type=content_type)
                what = f"POST {url} {name} as {content_type}"
                _refused(response, what, failures, signed=url in signed)
        form = dict.fromkeys(FORM_FIELDS, DEEP)
        _refused(client.post(url, form), f"POST {url} form", failures, signed=url in signed)
    assert len(urls) > 200  # the walk did reach the URL conf
    assert any(url.startswith("/lapangan/app/sync") for url in urls)
    assert failures == []
    assert AuditLog.objects.count() == written  # no view ran: nothing was written


def test_every_api_operation_with_a_body_refuses_json_nested_too_deep(admin):
    token = iam.api_token_create(
        actor=SystemActor("system:test"), user=admin, role="ADMIN", name="t"
    )[1]
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    spec = api.get_openapi_schema()
    failures: list[str] = []
    reached = 0
    for method, path, _permission in routes.api_operations(spec):
        if method == "GET":
            continue
        url = "/api/v1" + fill(path.removeprefix("/api/v1"), admin)
        send = getattr(client, method.lower())
        for name, probe in PROBES.items():
            reached += 1
            response = send(url, probe, content_type="application/json")
            _refused(response, f"{method} {url} {name}", failures)
    assert reached > 30
    assert failures == []


def test_the_lean_chain_never_answers_500_to_it(db):
    """The payment callbacks, as gunicorn serves them (the lean chain): unsigned, a deep body
    is refused unread (the signature first, as any unsigned body); a view behind the lean
    chain that verifies its own input but is not signed has its depth counted."""
    from django.urls import reverse

    from amanah.core.inputs import InputProblem, left_to_the_view
    from amanah.fieldops.views_app import sync
    from amanah.payments.webhooks import midtrans_callback
    from amanah.wsgi import application

    callbacks = [reverse(f"payment_webhooks:{name}") for name in ("midtrans", "xendit")]
    assert all(path.startswith(LEAN_PREFIXES) for path in callbacks)
    for path in callbacks:
        answer = served(application, path, method="POST", body=DEEP.encode())
        assert answer["status"][:1] == "4", (path, answer["status"])
    too_deep = InputProblem("json_too_deep", "body")
    assert left_to_the_view(midtrans_callback, too_deep)
    assert not left_to_the_view(sync, too_deep)  # signed in, not signed: guarded
    assert left_to_the_view(sync, InputProblem("invalid_characters", "note"))


# --------------------------------------------------------------------------- the count

_LEAVES = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:', max_size=6)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner, max_size=3)
    ),
    max_leaves=40,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.integers(min_value=0, max_value=8))
def test_the_count_agrees_with_the_parsed_depth(value, limit):
    text = json.dumps(value, ensure_ascii=False)
    assert json_too_deep(text, limit) == (_depth(value) > limit)
    assert json_too_deep(text.encode(), limit) == (_depth(value) > limit)


def test_brackets_inside_strings_are_not_nesting():
    assert not json_too_deep(json.dumps({"note": "[" * 1_000}))
    assert not json_too_deep(json.dumps({"note": '\\"' + "{" * 1_000}))
    assert json_too_deep(json.dumps({"note": "]" * 1_000, "deep": [[[[[]]]]]}), limit=4)
