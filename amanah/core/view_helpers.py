"""The POST → service → answer dance, written once (DESIGN §3).

A view validates its form, calls one service, and answers:

- a refusal on a page with a form: the reason next to its field, the page again, **400**
  (**429** when the code says "slow down": :func:`amanah.core.errors.http_status_for`);
- a refusal of a button-style action: the reason as a flash message and a **303** back
  (a rate-limit refusal answers 429 with its message instead of hiding it behind a redirect);
- success: an optional flash message and a **303** to the next page.

Views never catch ``ServiceError`` themselves; they hand a ``submit``/``action`` callable to
:func:`submit_form` or :func:`run_action`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError, http_status_for
from amanah.core.forms import add_service_error, first_error


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
    if error is not None:
        add_service_error(form, error)
    status = http_status_for(error) if error is not None else 400
    return render(request, template, context, status=status)


def refused_action(request, error: ServiceError, *, back: str) -> HttpResponse:
    """A refused button-style action: flash the reason and go back (429 stays a 429)."""
    status = http_status_for(error)
    if status == 429:
        return render(
            request, "core/error.html", {"code": 429, "message": error.message}, status=429
        )
    messages.error(request, error.message)
    return HttpResponseSeeOther(back)


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
    action: Callable[[], str],
    *,
    back: str,
    form: forms.Form | None = None,
) -> HttpResponse:
    """POST → ``action()`` (returns the success message) → flash + 303 to ``back``.

    With ``form``, an invalid form is refused the same way, with its first error.
    """
    if form is not None and not form.is_valid():
        return refused_action(
            request,
            ServiceError("invalid", first_error(form) or _("Isian tidak valid.")),
            back=back,
        )
    try:
        message = action()
    except ServiceError as error:
        return refused_action(request, error, back=back)
    return see_other(request, Done(back, message))


def _context(context: dict | Callable[[], dict], form: forms.Form) -> dict:
    values = context() if callable(context) else context
    return {"form": form, **values}
