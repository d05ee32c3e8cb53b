"""The agents' installable offline app (PWA) under ``/lapangan/app/``: the page (the shell),
its web app manifest, its service worker (served here, not from ``/static/``, so that its
scope is ``/lapangan/app/``), the day's data the device keeps, and the sync of its outbox.
Views parse input and call one service (``fieldops.pwa``)."""

from __future__ import annotations

import hashlib
import json

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import refused_json, run_json
from amanah.core.views import requires
from amanah.fieldops import pwa
from amanah.fieldops.models import Outcome
from amanah.fieldops.policies import WO_WORK

# What the service worker keeps for the app to open without a network.
SHELL_STATIC = (
    "vendor/pico.min.css",
    "css/app.css",
    "css/fieldops.css",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "js/fieldops-map.js",
    "js/fieldops-app.js",
    "img/favicon.svg",
)


def _shell() -> list[str]:
    return [reverse("fieldops:app"), *(static(path) for path in SHELL_STATIC)]


@requires(WO_WORK)
@require_GET
def app(request):
    return render(
        request,
        "fieldops/app.html",
        {"promise": Outcome.PROMISE, "atk": Outcome.ATK, "outcomes": Outcome.choices},
    )


@requires(WO_WORK)
@require_GET
def manifest(request):
    app_url = reverse("fieldops:app")
    body = {
        "name": _("Amanah Lapangan — kunjungan penagihan"),
        "short_name": _("Lapangan"),
        "start_url": app_url,
        "scope": app_url,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4ed8",
        "lang": request.LANGUAGE_CODE,
        "icons": [{"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@requires(WO_WORK)
@require_GET
def service_worker(request):
    shell = _shell()
    # the worker's bytes change with the assets' (hashed) names: a deploy installs a new one
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    response = render(
        request,
        "fieldops/app_sw.js",
        {
            "version": version,
            "shell": json.dumps(shell),
            "app_url": json.dumps(reverse("fieldops:app")),
            "day_url": json.dumps(reverse("fieldops:app_day")),
        },
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"  # the browser checks for a new worker every time
    response["Service-Worker-Allowed"] = reverse("fieldops:app")
    return response


@requires(WO_WORK)
@require_GET
def day(request):
    """Today's work orders, billing data, contact windows and map data, with a CSRF token
    for the sync that follows (the cached page's own may be stale)."""

    def answer() -> dict:
        body = pwa.agent_offline_day(actor=request.user)
        body["csrf"] = get_token(request)
        return body

    response = run_json(request, answer)
    response["Cache-Control"] = "no-store"
    return response


@requires(WO_WORK)
@require_POST
def sync(request):
    """The device's outbox: ``{"results": [...]}`` → one answer per result (``fieldops.pwa``)."""
    try:
        if request.content_type != "application/json":  # a form's body is read already
            raise ValueError(request.content_type)
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return refused_json(ServiceError("json_invalid", _("Isi permintaan bukan JSON yang sah.")))
    items = body.get("results") if isinstance(body, dict) else None
    return run_json(request, lambda: pwa.visits_sync(actor=request.user, items=items))


# Each result is checked by the service (text, key, types): a control character in one note
# refuses that result with its reason, not the whole batch (nor with an HTML page the device
# cannot read).
sync.verifies_own_input = True
