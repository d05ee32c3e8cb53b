"""The shell's own pages, and the decorator every view in the project wears."""

from __future__ import annotations

import contextlib
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from amanah.core.permissions import PUBLIC, SIGNED_IN, is_declared
from amanah.core.policies import HOME_VIEW


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
            from amanah.iam import authz

            if permission != PUBLIC and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permission not in (PUBLIC, SIGNED_IN):
                authz.require(request.user, permission)
            return view(request, *args, **kwargs)

        guarded.required_permission = permission
        guarded.mfa_exempt = mfa_exempt
        return guarded

    return decorate


@requires(HOME_VIEW)
def home(request):
    return render(request, "core/home.html")


@requires(PUBLIC)
def health(request):
    """200 while the database answers; 503 with the reason while it does not (never a 500)."""
    if not _database_answers():
        return JsonResponse({"status": "unavailable", "reason": "database"}, status=503)
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


def error_403(request, exception=None):
    return render(request, "core/error.html", {"code": 403}, status=403)


def error_404(request, exception=None):
    return render(request, "core/error.html", {"code": 404}, status=404)


def error_500(request):
    return HttpResponse(render(request, "core/error.html", {"code": 500}).content, status=500)
