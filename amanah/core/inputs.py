"""The one input layer: text that no field of ours may hold is refused before any view runs.

PostgreSQL cannot store NUL in text, psycopg cannot encode lone surrogates, and control
characters have no business in a name, a note or a filter; left alone they reach the database
and answer 500. ``HostileInputMiddleware`` checks the query string, form fields, uploaded file
names and JSON bodies (recursively, keys too) of every request and answers 400 with the code
``invalid_characters`` — the API's JSON error shape for /api/, a form-style page otherwise.
Tab, line feed and carriage return are ordinary text and pass.

Overlong values are refused the same way (``too_long``): no field of ours holds more than
``MAX_VALUE_CHARS``; the fields' own ``max_length`` still decides below that.

JSON nested deeper than ``MAX_JSON_DEPTH`` (``json_too_deep``) — a body, whatever its content
type says, or a form field holding JSON (a journey's graph, an area's outline) — is refused
before anything parses it: ``json.loads`` recurses once per level, so 10 kB of ``[`` is a
``RecursionError`` (a 500) in whichever view reads it, and a few hundred levels that do parse
still reach the code and the database that walk them. The depth is counted by
``json_too_deep`` without parsing and without recursion (strings taken out, the brackets
left counted in C), so the guard costs a scan of the body, not a stack.

A view marked ``verifies_own_input`` (a provider webhook, the field app's sync that answers
each result on its own) is left to check its raw body itself: a webhook verifies the
signature before parsing, and each view cleans what it keeps. The depth is still checked for
it, unless it is a signed callback (``SIGNED_REQUEST``): that one reads nothing before its
signature holds (an unsigned body is a 401, unread), and what is signed comes from the
counterpart (it refuses a ``RecursionError`` as bad JSON itself).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

from amanah.core.errors import ServiceError, error_body
from amanah.core.permissions import SIGNED_REQUEST

# C0 controls except \t \n \r, DEL, C1 controls, lone surrogates (not encodable as UTF-8).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Longer than any text a person types into one field (a complaint is a few pages at most).
MAX_VALUE_CHARS = 20_000
# Deeper than any JSON of ours (a journey graph's node config is about 6 levels, an API body
# 3); far below where parsing recurses into trouble (about 1,000).
MAX_JSON_DEPTH = 64
API_PREFIX = "/api/"
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

MESSAGES = {
    "invalid_characters": _("Masukan berisi karakter yang tidak diizinkan (karakter kontrol)."),
    "too_long": _("Masukan terlalu panjang."),
    "invalid_json": _("Isi permintaan bukan JSON yang sah."),
    "json_too_deep": _("JSON bersarang terlalu dalam (lebih dari %(depth)d tingkat)."),
    "invalid": _("Masukan tidak valid. Periksa kembali isian Anda."),
}


@dataclass(frozen=True)
class InputProblem:
    code: str
    field: str

    @property
    def message(self) -> str:
        if self.code == "json_too_deep":
            return str(MESSAGES[self.code]) % {"depth": MAX_JSON_DEPTH}
        return str(MESSAGES[self.code])


# A JSON string (escapes included), taken out before the brackets are counted: a "[" inside
# a text is not nesting. (What follows a quote never closed is text to the parser too; it
# never recurses there.)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))
_STARTS_JSON = re.compile(rb"\s*[\[{]")


def json_too_deep(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does ``text`` nest arrays and objects deeper than ``limit``? Counted without parsing
    and without recursion (whatever the depth, the cost is one scan of the text)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # cannot nest deeper than it opens (nearly every body stops here)
    # Without a backslash no quote is escaped: the parts between quotes are the strings.
    outside = b"".join(data.split(b'"')[::2]) if b"\\" not in data else _JSON_STRING.sub(b"", data)
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def nesting_problem(request: HttpRequest) -> InputProblem | None:
    """JSON nested deeper than ``MAX_JSON_DEPTH`` in the body (whatever the content type:
    a view may parse what its caller mislabelled) or in a form field; None otherwise."""
    if request.method not in BODY_METHODS:
        return None
    if (request.content_type or "") in FORM_TYPES:
        for name, values in request.POST.lists():
            for value in values:
                if value[:1] in ("[", "{") and json_too_deep(value):
                    return InputProblem("json_too_deep", name if not problem_in_text(name) else "")
        return None
    body = request.body
    if body and _STARTS_JSON.match(body) and json_too_deep(body):
        return InputProblem("json_too_deep", "body")
    return None


def problem_in_text(value: str) -> str | None:
    """The error code for one text value, or None when it may be stored."""
    if FORBIDDEN.search(value):
        return "invalid_characters"
    if len(value) > MAX_VALUE_CHARS:
        return "too_long"
    return None


def required_text(value, *, field: str, label, maximum: int) -> str:
    """The stripped text of a service's required field, or one refusal per problem, each with
    its own code and message: ``<field>_required``, ``<field>_too_long``,
    ``<field>_invalid_characters`` (control characters, NUL)."""
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise ServiceError(
            f"{field}_required", _("%(label)s wajib diisi.") % {"label": label}, field=field
        )
    if len(value) > maximum:
        raise ServiceError(
            f"{field}_too_long",
            _("%(label)s maks. %(max)d karakter.") % {"label": label, "max": maximum},
            field=field,
        )
    if problem_in_text(value):
        raise ServiceError(
            f"{field}_invalid_characters",
            _("%(label)s memuat karakter kontrol yang tidak diizinkan.") % {"label": label},
            field=field,
        )
    return value


def optional_text(value, *, max_length: int | None = None) -> str:
    """Text a person may leave out: stripped, "" for None (or blank), cut to ``max_length``
    when given (a decision note, a search term: what is kept, never refused)."""
    return (value or "").strip()[:max_length]


def is_uuid(value) -> bool:
    """True when ``value`` (or its text) reads as a UUID: a key sent by a form or a query
    string is checked before it reaches a lookup on a uuid column (which would fail)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _named_values(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """Every (field name, text) the request carries, whatever its shape."""
    yield "path", request.path
    for name, values in request.GET.lists():
        yield name, name
        for value in values:
            yield name, value
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for name, values in request.POST.lists():
                yield name, name
                for value in values:
                    yield name, value
            for name, files in request.FILES.lists():
                for upload in files:
                    yield name, upload.name or ""
        elif content_type.endswith("json") and request.body:
            yield from _json_values(json.loads(request.body))


def _json_values(value, field: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield field or key, key
            yield from _json_values(inner, field or key)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_values(inner, field)


def find_problem(request: HttpRequest) -> InputProblem | None:
    nesting = nesting_problem(request)
    if nesting is not None:
        return nesting
    try:
        for field, value in _named_values(request):
            code = problem_in_text(value)
            if code:
                # Never echo a field name that is itself the hostile part.
                return InputProblem(code, field if not problem_in_text(field) else "")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[… nesting
        return InputProblem("invalid_json", "body")
    return None


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def wants_json(request: HttpRequest) -> bool:
    """The API, or a client that sent JSON or asks for it (the field app's sync): it reads
    the refusal in the API's error shape, not as a page."""
    return (
        is_api_request(request)
        or (request.content_type or "").endswith("json")
        or "application/json" in request.headers.get("Accept", "")
    )


def refusal(request: HttpRequest, problem: InputProblem):
    if wants_json(request):
        return JsonResponse(error_body(problem.code, problem.message, problem.field), status=400)
    return render(
        request,
        "core/error.html",
        {"code": 400, "message": problem.message, "field": problem.field},
        status=400,
    )


def _signed(view) -> bool:
    return getattr(view, "required_permission", None) == SIGNED_REQUEST


def left_to_the_view(view, problem: InputProblem) -> bool:
    """Does ``view`` check this problem itself? A view that verifies its own input does,
    but for the depth: only a signed callback is left that (module docstring)."""
    if not getattr(view, "verifies_own_input", False):
        return False
    return problem.code != "json_too_deep" or _signed(view)


def _view_of(request: HttpRequest):
    try:
        return resolve(request.path_info).func
    except Resolver404:
        return None


def _left_to_the_view(request: HttpRequest, problem: InputProblem) -> bool:
    # Asked only once a problem is found, so ordinary requests pay no URL resolution for it.
    view = _view_of(request)
    return view is not None and left_to_the_view(view, problem)


def _multipart_to_a_signed_callback(request: HttpRequest) -> bool:
    """A multipart body is read as a stream: parsing its fields here would leave a signed
    callback no raw body to verify (Django refuses ``request.body`` after it: a 500). Such a
    body is left to the callback, which refuses it unread as it does any unsigned body."""
    if request.method not in BODY_METHODS:
        return False
    if (request.content_type or "") != "multipart/form-data":
        return False
    view = _view_of(request)
    return view is not None and _signed(view)


class HostileInputMiddleware:
    """Refuses NUL/control characters, lone surrogates and overlong values in any input."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _multipart_to_a_signed_callback(request):
            return self.get_response(request)
        problem = find_problem(request)
        if problem and not _left_to_the_view(request, problem):
            return refusal(request, problem)
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A model's own validation that a view let through is still bad input, not a 500."""
        if isinstance(exception, ValidationError):
            field = next(iter(getattr(exception, "message_dict", {})), "")
            return refusal(request, InputProblem("invalid", field))
        return None


class ViewAwareHostileInputMiddleware(HostileInputMiddleware):
    """The same guard for the lean chain (``core.lean``), asked once the view is known: a
    signed callback (it verifies its own input: the guard could never refuse it) pays nothing
    for it — at 500 callbacks/s reading every body twice was a tenth of the endpoint's CPU;
    another view that verifies its own input has only its depth counted (two byte counts for
    a body of fewer than ``MAX_JSON_DEPTH`` brackets). Any other view behind the lean chain
    is guarded as before. (A path that resolves to no view answers 404 before the guard is
    asked.)"""

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "verifies_own_input", False):
            if _signed(view_func):
                return None  # nothing read before the signature (module docstring)
            problem = nesting_problem(request)  # a scan of the body, not a parse
        else:
            problem = find_problem(request)
        return refusal(request, problem) if problem else None
