"""A lean request path for machine-to-machine callbacks (issue 17: 500 gateway callbacks/s).

A gateway's signed callback needs no session, CSRF token, messages, language cookie, user,
MFA check, CSP or frame header: it is authenticated by its signature and answered in JSON.
``LEAN_PREFIXES`` are served by a second Django handler (``amanah.wsgi``) built with
``LEAN_MIDDLEWARE`` alone; every other path goes through ``settings.MIDDLEWARE`` as before.
What stays: the security headers, the request context (request id, client address), the
deployment profile's hidden routes, the upload limit and the hostile-input guard (asked once
the view is known: a view that verifies its own input says so and its body is not read
twice). The URL configuration is the same, so the deny-by-default route declaration
(``core.permissions``) still covers these routes.
"""

from __future__ import annotations

from django.conf import settings

LEAN_PREFIXES = ("/webhooks/payments/",)

LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "amanah.core.middleware.RequestContextMiddleware",
    "amanah.core.profiles.ProfileRoutesMiddleware",
    "amanah.core.uploads.UploadLimitMiddleware",
    "amanah.core.inputs.ViewAwareHostileInputMiddleware",
]


# The lean chain's own version of a middleware of the full chain (kept when that one is).
_LEAN_VERSION_OF = {
    "amanah.core.inputs.ViewAwareHostileInputMiddleware": (
        "amanah.core.inputs.HostileInputMiddleware"
    ),
}


def _kept(name: str, full: list[str]) -> bool:
    return _LEAN_VERSION_OF.get(name, name) in full


def is_lean(path: str) -> bool:
    return path.startswith(LEAN_PREFIXES)


def lean(handler_class):
    """``handler_class`` (Django's WSGI handler, or the test client's) with the lean chain."""

    class Lean(handler_class):
        def load_middleware(self, is_async=False):
            # Django builds the chain from settings.MIDDLEWARE; swapped for this build only
            # (at start-up, before any request is served).
            full = settings.MIDDLEWARE
            settings.MIDDLEWARE = [m for m in LEAN_MIDDLEWARE if _kept(m, full)]
            try:
                super().load_middleware(is_async)
            finally:
                settings.MIDDLEWARE = full

    Lean.__name__ = Lean.__qualname__ = f"Lean{handler_class.__name__}"
    return Lean
