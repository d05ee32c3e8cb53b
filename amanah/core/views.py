"""The shell's own pages, and the decorator every view in the project wears."""

from __future__ import annotations

import contextlib
import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from amanah.core import access, registry, staticfiles
from amanah.core.errors import error_body
from amanah.core.permissions import PUBLIC, SIGNED_IN, is_declared
from amanah.core.policies import HOME_VIEW
from amanah.core.view_helpers import as_service_error, refused_fragment

logger = logging.getLogger(__name__)


def requires(permission: str, *, mfa_exempt: bool = False):
    """Declare (and enforce) what a view needs: a permission code, SIGNED_IN or PUBLIC.

    Anonymous callers go to the login page; a signed-in caller without the permission gets
    403. Scope is the view's own business: it loads objects through ``visible_to(actor)``.
    """
    if permission not in (PUBLIC, SIGNED_IN) and not is_declared(permission):
        raise ValueError(f"view declares unknown permission {permission!r}")

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if permission != PUBLIC and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permission not in (PUBLIC, SIGNED_IN):
                access.require(request.user, permission)
            return view(request, *args, **kwargs)

        guarded.required_permission = permission
        guarded.mfa_exempt = mfa_exempt
        return guarded

    return decorate


@requires(HOME_VIEW)
def home(request):
    """The first registered home page the role holds (a dashboard), else the link tiles."""
    for _key, page in registry.home_pages.items():
        if access.has_perm(request.user, page.permission):
            return page.view(request)
    return render(request, "core/home.html")


@requires(PUBLIC)
def health(request):
    """200 while pages can be served; 503 with the reason while the database does not answer
    or the static files were never collected (every page would fail); never a 500."""
    if not _database_answers():
        return JsonResponse({"status": "unavailable", "reason": "database"}, status=503)
    if staticfiles.not_collected():
        return JsonResponse({"status": "unavailable", "reason": "static"}, status=503)
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    # Connections persist across requests (CONN_MAX_AGE): one the server dropped (a restart)
    # fails once; close it and try a fresh one, so the check never holds a broken connection
    # and reports "up" as soon as the server is back.
    for _attempt in range(2):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except DatabaseError:
            with contextlib.suppress(DatabaseError):
                connection.close()
    return False


@requires(PUBLIC, mfa_exempt=True)
@require_POST
def set_language(request):
    return django_set_language(request)


def _error_page(request, code: int, api_code: str, api_message: str):
    """API callers get the API's JSON error shape, people get the page; the page renders for
    any user object (session, API token, anonymous) and falls back to plain text if it cannot."""
    from amanah.core.inputs import is_api_request

    if is_api_request(request):
        return JsonResponse(error_body(api_code, api_message), status=code)
    if code in (403, 404) and _asks_for_fragment(request):
        return _refused_in_place(request, code)
    try:
        content = render(request, "core/error.html", {"code": code}).content
    except Exception:  # noqa: BLE001 — the error page itself must never fail (e.g. database down)
        logger.exception("error page %s could not be rendered", code)
        return HttpResponse(f"{code}", status=code, content_type="text/plain")
    return HttpResponse(content, status=code)


def _asks_for_fragment(request) -> bool:
    """htmx asks for a piece of a page (a boosted navigation asks for a whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _refused_in_place(request, code: int) -> HttpResponse:
    """A 403/404 met before the fragment could be rendered (the view's declared permission,
    an object lookup): the reason alone, marked so that htmx shows it where the piece goes."""
    refusal = as_service_error(PermissionDenied() if code == 403 else Http404())
    return refused_fragment(request, "core/_refused.html", refusal)


def error_400(request, exception=None):
    return _error_page(request, 400, "bad_request", "Bad request")


def error_403(request, exception=None):
    return _error_page(request, 403, "forbidden", "Forbidden")


def error_404(request, exception=None):
    return _error_page(request, 404, "not_found", "Not found")


def error_500(request):
    return _error_page(request, 500, "server_error", "Server error")
