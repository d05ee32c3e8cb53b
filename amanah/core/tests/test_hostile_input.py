"""Hostile input never answers 5xx: every form route and every API operation, walked from the
URL resolver and the OpenAPI schema, gets NUL, control characters, 100 kB strings,
9999-12-31 and wrong types in every parameter and field that can be discovered.

Discovery is generic, so a new route is walked without editing this file:
- URL arguments: ``<thing>_id`` is the primary key of an existing row of the model named
  ``Thing`` (or ending in it) — a fresh id when there is none (then the answer is a 404);
- HTML: every GET page is fetched, its ``<form>``s are parsed (action, method, fields and
  their rendered values), and each form is submitted with one field at a time made hostile;
  POST routes no rendered form points at get every field name seen on any page;
- API: path, query and JSON body fields from the OpenAPI schema, one field at a time.

The actor is an ADMIN whose role holds every permission of the catalogue, whole-bank scope,
on the demo data. Each page is asked as a deployment that shows it (the PDAM's water pages
as the PDAM: ``core.testing.deployment_showing``).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client
from django.urls import get_resolver

from amanah.api import api
from amanah.conftest import built_once_per_module, create_user, sign_in
from amanah.core import routes
from amanah.core.actors import SystemActor
from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey
from amanah.core.testing import deployment_showing, deployment_showing_path
from amanah.demo.services import demo_seed
from amanah.iam import services as iam
from amanah.iam.models import Role, RolePermission

HUGE = "x" * 100_000
# Refused at the door by core.inputs (the whole form at once).
DOOR_PAYLOADS = ["nul\x00byte", "bell\x07ctl\x1b", HUGE]
LONE_SURROGATE = "\ud800"  # only a JSON body can carry one (escaped); a URL cannot
# Pass the door; each field's own validation must answer (one field at a time).
FIELD_PAYLOADS = ["9999-12-31", "y" * 5_000, "not-a-number", "99999999999999999999", "-1"]
ONE_AT_A_TIME = ["9999-12-31", "not-a-number"]
API_WRONG_TYPES = [12345, -1, 1e308, True, None, [], {}, "9999-12-31", "y" * 5_000]
SKIPPED_ROUTES = {"iam:logout", "iam:role_switch", "core:set_language"}  # end the session


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The forms of a page with the values they would submit as rendered."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._form, self._select = page_url, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.page_url
            method = (
                "post" if (a.get("method", "get").lower() == "post" or "hx-post" in a) else "get"
            )
            self._form = Form(action, method)
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            name = a["name"]
            if tag == "input" and a.get("type") in ("checkbox", "radio"):
                if "checked" in a or name not in self._form.fields:
                    self._form.fields[name] = a.get("value", "on")
            elif tag in ("input", "textarea"):
                self._form.fields.setdefault(name, a.get("value") or "")
            elif tag == "select":
                self._select = name
                self._form.fields.setdefault(name, "")
        in_select = tag == "option" and self._select and self._form is not None
        if in_select and (not self._form.fields.get(self._select) or "selected" in a):
            self._form.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(page_url: str, html: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return [f for f in parser.forms if f.action.startswith("/")]


def _model_for(argument: str):
    stem = argument.removesuffix("_id").replace("_", "")
    models = list(apps.get_models())
    return next((m for m in models if m.__name__.lower() == stem), None) or next(
        (m for m in models if m.__name__.lower().endswith(stem)), None
    )


def argument_value(argument: str, converter: str, actor):
    """An existing row's key for ``<thing>_id`` (never the actor itself), else a fresh one."""
    model = _model_for(argument) if argument.endswith("_id") else None
    if model is not None:
        rows = model.objects.all()
        if model is type(actor):
            rows = rows.exclude(pk=actor.pk)
        found = rows.order_by("pk").values_list("pk", flat=True).first()
        if found is not None:
            return found
    if converter == "int" or "int" in converter:
        return 999_999
    if "uuid" in converter:
        return uuid.uuid4()
    return "nik"


_ARGUMENT = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\{(?P<api>\w+)\}")


def fill(pattern: str, actor) -> str:
    def replace(match):
        name = match.group("name") or match.group("api")
        converter = match.group("conv") or ("uuid" if name.endswith("_id") else "str")
        return str(argument_value(name, converter, actor))

    return "/" + _ARGUMENT.sub(replace, pattern).lstrip("/").replace("^", "").replace("$", "")


def _seeded_world():
    demo_seed()
    admin_role = Role.objects.get(key=RoleKey.ADMIN)
    RolePermission.objects.bulk_create(
        [RolePermission(role=admin_role, permission=code) for code in catalogue()],
        ignore_conflicts=True,
    )
    actor = create_user(SystemActor("system:test"), RoleKey.ADMIN)
    token = iam.api_token_create(actor=SystemActor("t"), user=actor, role="ADMIN", name="t")[1]
    return actor, token


@pytest.fixture(scope="module")
def _built_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data and the admin, seeded once for the module's tests
    (``conftest.built_once_per_module``): a test's requests are rolled back with it."""
    folder = tmp_path_factory.mktemp("hostile-input")
    for world in built_once_per_module(_seeded_world, django_db_blocker, folder):
        yield world, folder


@pytest.fixture
def world(db, settings, _built_world):
    (actor, token), folder = _built_world
    settings.DOCUMENTS_STORAGE_DIR = folder / "documents"  # the demo's documents
    # 500s are collected as findings (all of them, with the request), not raised one by one.
    return actor, sign_in(Client(raise_request_exception=False), actor), token


class Findings:
    def __init__(self):
        self.errors: list[str] = []
        self.requests = 0
        self.statuses: Counter[int] = Counter()

    def check(self, response, what: str):
        self.requests += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.errors.append(f"{response.status_code} {what}")


def _submit(client, form: Form, data: dict, findings: Findings, label: str):
    send = client.post if form.method == "post" else client.get
    with deployment_showing_path(form.action):  # the PDAM's forms, as the PDAM
        response = send(form.action, data)
    findings.check(response, f"{form.method.upper()} {form.action} {label}")


def _walk_form(client, form: Form, findings: Findings, *, one_at_a_time: bool = True):
    """Every payload in every field at once; dates (where arithmetic overflows) and wrong types
    one field at a time, the others as rendered, so the form's own validation is reached.
    ``one_at_a_time=False`` for a POST route no page renders a form for: its fields are only
    guessed (every name seen anywhere), and one guessed name at a time beside hundreds of
    empty others reaches nothing the all-fields payloads do not (it made the walk quadratic
    in the number of forms)."""
    for payload in [*DOOR_PAYLOADS, *FIELD_PAYLOADS]:
        hostile = {name: payload for name in form.fields}
        _submit(client, form, hostile, findings, f"all fields={payload[:12]!r}")
    if not one_at_a_time:
        return
    for name in form.fields:
        for payload in ONE_AT_A_TIME:
            _submit(client, form, {**form.fields, name: payload}, findings, f"{name}={payload!r}")


def test_every_form_route_survives_hostile_input(world):
    actor, client, _token = world
    findings = Findings()
    forms: dict[tuple[str, str], Form] = {}
    post_only: list[str] = []
    for route in routes.url_routes():
        if route.name in SKIPPED_ROUTES or route.name.startswith("api:"):
            continue
        url = fill(route.pattern, actor)
        with deployment_showing(route.app):  # every page as a deployment that shows it
            page = client.get(url)
        findings.check(page, f"GET {url}")
        if page.status_code == 405:
            post_only.append(url)
        elif page.status_code == 200 and "html" in page.get("Content-Type", ""):
            for form in forms_on(url, page.content.decode()):
                forms.setdefault((form.method, form.action), form)
            for payload in ["nul\x00byte", *ONE_AT_A_TIME]:
                with deployment_showing(route.app):
                    response = client.get(url, {"q": payload, "page": payload})
                findings.check(response, f"GET {url}?…")
    for form in forms.values():
        _walk_form(client, form, findings)
    every_name = sorted({name for f in forms.values() for name in f.fields})
    for url in post_only:
        if not any(f.action == url for f in forms.values()):
            guessed = Form(url, "post", dict.fromkeys(every_name, ""))
            _walk_form(client, guessed, findings, one_at_a_time=False)
    assert len(forms) > 20 and findings.requests > 300  # the walk did reach the forms
    assert findings.statuses[200] > 100, findings.statuses
    assert findings.errors == []


def _schema_of(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(spec: dict, schema: dict, name: str, actor):
    schema = _schema_of(spec, schema)
    options = schema.get("anyOf") or [schema]
    schema = _schema_of(spec, next((o for o in options if o.get("type") != "null"), options[0]))
    if schema.get("format") == "uuid":
        return str(argument_value(name, "uuid", actor))
    return {"integer": 1, "number": 1, "boolean": True, "array": []}.get(schema.get("type"), "x")


def test_every_api_operation_survives_hostile_input(world):
    actor, _client, token = world
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    spec = api.get_openapi_schema()
    findings = Findings()
    for method, path, _permission in routes.api_operations(spec):
        operation = spec["paths"][path][method.lower()]
        url = "/api/v1" + fill(path.removeprefix("/api/v1"), actor)
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        body_schema = (
            operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        ).get("schema")
        props = _schema_of(spec, body_schema).get("properties", {}) if body_schema else {}
        body = {n: _sample(spec, s, n, actor) for n, s in props.items()}
        valid_query = {p["name"]: "" for p in query}

        def send(params, payload, label, *, raw=None):
            if method == "GET":
                response = client.get(url, params)
            else:  # the operation's own method (POST, PUT, PATCH …), not always POST
                response = getattr(client, method.lower())(
                    url + "?" + "&".join(f"{k}={v}" for k, v in params.items()),
                    raw if raw is not None else payload,
                    content_type="application/json",
                )
            findings.check(response, f"{method} {url} {label}")

        for payload in [*DOOR_PAYLOADS, *FIELD_PAYLOADS]:
            for p in query:
                send({**valid_query, p["name"]: payload}, body, f"?{p['name']}={payload[:12]!r}")
        if method != "GET":
            send({}, None, "not JSON", raw="{not json")
            send({}, None, "a JSON list", raw="[1, 2]")
            send({}, None, "nested too deep", raw="[" * 100_000)  # RecursionError, not 500
            for name in body:
                for payload in [*DOOR_PAYLOADS, LONE_SURROGATE, *FIELD_PAYLOADS, *API_WRONG_TYPES]:
                    send({}, {**body, name: payload}, f"{name}={str(payload)[:12]!r}")
            nested = {n: {"deep": ["\x00"]} for n in body}
            send({}, nested, "nested NUL")
    assert findings.requests > 200
    # signed in and reaching the operations: refusals are the schema's and the rules', not auth
    assert findings.statuses[401] == 0 and findings.statuses[422] > 50, findings.statuses
    assert findings.errors == []


def test_paths_with_arguments_are_filled_from_existing_rows(world):
    actor, _client, _token = world
    customer_urls = [
        fill(r.pattern, actor) for r in routes.url_routes() if "<uuid:customer_id>" in r.pattern
    ]
    assert customer_urls and all(re.search(r"/[0-9a-f-]{36}/", u) for u in customer_urls)
    assert get_resolver().resolve(customer_urls[0])
