"""The POST → service → answer dance, written once (DESIGN §3).

A view validates its form, calls one service, and answers:

- a refusal on a page with a form: the reason next to its field, the page again, **400**
  (**429** when the code says "slow down": :func:`amanah.core.errors.http_status_for`);
- a refusal of a button-style action: the reason as a flash message and a **303** back
  (a rate-limit refusal answers 429 with its message instead of hiding it behind a redirect);
- success: an optional flash message and a **303** to the next page.

Two more kinds of caller get the same refusals in their own shape:

- a script's ``fetch`` (``Accept: application/json``, e.g. the lead board's drag and drop):
  the API's error body ``{"code", "message", "field"}`` with 400/429 (:func:`run_json`);
- a piece of a page that htmx asks for (e.g. a live preview, a revealed field): the same
  piece with the reason in ``error``, marked so that htmx still shows it in place
  (:func:`render_fragment`): 400/429 from the code, and 403/404 when the service found the
  permission or the object missing. A 403/404 that a decorator or a lookup raises before any
  fragment is rendered is shown in place too (``core.views`` error pages, :func:`refused_fragment`).

Views never catch ``ServiceError`` themselves; they hand a ``submit``/``action``/``compute``
callable to :func:`submit_form`, :func:`run_action`, :func:`run_json` or
:func:`render_fragment`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from amanah.core.errors import (
    FORBIDDEN,
    NOT_FOUND,
    ServiceError,
    error_body,
    error_headers,
    http_status_for,
)
from amanah.core.forms import add_service_error, first_error

# Marks a refused htmx fragment: app.js swaps it in although its status is 400 (the htmx
# config shows no 4xx but 429, so that an error page never lands inside a page).
REFUSED_FRAGMENT_HEADER = "Amanah-Refused-Fragment"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


@dataclass(frozen=True)
class Done:
    """What a successful submit answers: where to go next and what to tell the user."""

    to: str  # a URL (use ``reverse``)
    message: str = ""


def see_other(request, done: Done) -> HttpResponse:
    if done.message:
        messages.success(request, done.message)
    return HttpResponseSeeOther(done.to)


def refused_page(
    request,
    template: str,
    context: dict,
    *,
    form: forms.Form,
    error: ServiceError | None = None,
) -> HttpResponse:
    """The form page again, with the refusal next to its field; 400, or 429 from the code."""
    if error is None:  # the form itself is invalid: its errors are already on it
        return render(request, template, context, status=400)
    add_service_error(form, error)
    response = render(request, template, context, status=http_status_for(error))
    return _with_headers(response, error_headers(error))


def refused_action(request, error: ServiceError, *, back: str) -> HttpResponse:
    """A refused button-style action: flash the reason and go back (429 stays a 429)."""
    status = http_status_for(error)
    if status == 429:
        response = render(
            request, "core/error.html", {"code": 429, "message": error.message}, status=429
        )
        return _with_headers(response, error_headers(error))
    messages.error(request, error.message)
    return HttpResponseSeeOther(back)


def wants_json(request) -> bool:
    """A script's ``fetch`` asks for JSON; a plain form post (no JS) gets pages."""
    return "application/json" in request.headers.get("Accept", "")


def refused_json(error: ServiceError) -> JsonResponse:
    """A refusal for a script: the API's error body; 400, or 429 with ``Retry-After``."""
    return JsonResponse(
        error_body(error.code, error.message, error.field, **error.details()),
        status=http_status_for(error),
        headers=error_headers(error),
    )


def submit_form(
    request,
    form: forms.Form,
    submit: Callable[[dict], Done | HttpResponse],
    *,
    template: str,
    context: dict | Callable[[], dict],
) -> HttpResponse:
    """Render ``template`` with ``form``; on a valid POST run ``submit(cleaned_data)``.

    ``context`` may be a callable so that a page re-rendered after a refusal shows fresh data.
    """
    if request.method != "POST":
        return render(request, template, _context(context, form))
    if not form.is_valid():
        return refused_page(request, template, _context(context, form), form=form)
    try:
        result = submit(form.cleaned_data)
    except ServiceError as error:
        return refused_page(request, template, _context(context, form), form=form, error=error)
    return see_other(request, result) if isinstance(result, Done) else result


def run_action(
    request,
    action: Callable[[], str | HttpResponse],
    *,
    back: str,
    form: forms.Form | None = None,
    invalid: str = "",
    about: str = "",
) -> HttpResponse:
    """POST → ``action()`` (returns the success message) → flash + 303 to ``back``.

    ``action`` may instead return a page of its own (e.g. a secret shown once). With ``form``,
    an invalid form is refused the same way, with ``invalid`` or else the form's first error.
    ``about`` names what a refusal is about on a page that lists many (``"MDN01: …"``).
    """
    if form is not None and not form.is_valid():
        return refused_action(request, _about(about, _invalid_form(form, invalid)), back=back)
    try:
        result = action()
    except ServiceError as error:
        return refused_action(request, _about(about, error), back=back)
    return result if isinstance(result, HttpResponse) else see_other(request, Done(back, result))


def run_json(
    request,
    action: Callable[[], dict],
    *,
    form: forms.Form | None = None,
    invalid: str = "",
) -> JsonResponse:
    """POST from a script → ``action()`` (returns the JSON body) → 200; a refusal (or an
    invalid ``form``) → :func:`refused_json`."""
    if form is not None and not form.is_valid():
        return refused_json(_invalid_form(form, invalid))
    try:
        body = action()
    except ServiceError as error:
        return refused_json(error)
    return JsonResponse(body)


def render_fragment(
    request,
    compute: Callable[[], dict],
    *,
    template: str,
    form: forms.Form | None = None,
    invalid: str = "",
    context: dict | None = None,
) -> HttpResponse:
    """A piece of a page computed by a service: ``template`` with ``compute()``'s values
    (and ``context``, which a refusal shows too, e.g. the form it came from).

    A refusal (or an invalid ``form``) renders the same template with the reason in
    ``error``, 400 or 429 from the code, marked with :data:`REFUSED_FRAGMENT_HEADER` so that
    htmx replaces the stale piece with the reason. A missing permission (``PermissionDenied``)
    or object (``Http404``) met while computing answers the same way with 403 or 404.
    """
    context = context or {}
    if form is not None and not form.is_valid():
        return refused_fragment(request, template, _invalid_form(form, invalid), context)
    try:
        values = compute()
    except (ServiceError, PermissionDenied, Http404) as refusal:
        return refused_fragment(request, template, as_service_error(refusal), context)
    return render(request, template, {**context, **values})


def refused_fragment(
    request, template: str, error: ServiceError, context: dict | None = None
) -> HttpResponse:
    """``template`` with the reason in ``error``, its status from the code, marked for htmx."""
    values = {**(context or {}), "error": error.message}
    response = render(request, template, values, status=http_status_for(error))
    return _with_headers(response, {REFUSED_FRAGMENT_HEADER: "1", **error_headers(error)})


def as_service_error(refusal: Exception) -> ServiceError:
    """A refusal as the error a fragment shows: a missing permission or object keeps its
    meaning (403/404) with a message that tells nothing more."""
    if isinstance(refusal, ServiceError):
        return refusal
    if isinstance(refusal, PermissionDenied):
        return ServiceError(FORBIDDEN, _("Anda tidak memiliki izin untuk tindakan ini."))
    return ServiceError(NOT_FOUND, _("Data tidak ditemukan."))


def _about(about: str, error: ServiceError) -> ServiceError:
    if not about:
        return error
    named = ServiceError(error.code, f"{about}: {error.message}", field=error.field)
    if getattr(error, "retry_after", None):  # a rate limit keeps its Retry-After
        named.retry_after = error.retry_after
    return named


def _invalid_form(form: forms.Form, message: str) -> ServiceError:
    return ServiceError("invalid", message or first_error(form) or _("Isian tidak valid."))


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def _context(context: dict | Callable[[], dict], form: forms.Form) -> dict:
    values = context() if callable(context) else context
    return {"form": form, **values}
