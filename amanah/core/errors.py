"""Errors that services raise; views and the API turn them into clear answers, never a 500."""

from __future__ import annotations

from django.http import Http404


class ServiceError(Exception):
    """A request that breaks a business rule or carries bad input. Nothing was changed.

    ``code`` is stable and machine-readable (the API returns it); ``message`` is for people.
    """

    def __init__(self, code: str, message: str = "", *, field: str | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = str(message or code)
        self.field = field

    def details(self) -> dict:
        """More of the refusal for a script, beside code, message and field (e.g. every
        problem of a refused graph); the JSON answers carry it."""
        return {}


class RateLimited(ServiceError):
    """Too many requests; ``retry_after`` says in how many seconds the caller may try again."""

    CODE = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: int, field: str | None = None):
        super().__init__(self.CODE, message, field=field)
        self.retry_after = max(1, int(retry_after))


class NotFound(Http404):
    """Missing and out-of-scope objects look the same to the caller."""


# The codes a refusal carries when it stands for a missing permission or a missing (or
# out-of-scope) object, e.g. an htmx fragment that shows such a refusal in place.
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
# A request about something that is no longer as the caller saw it (a recommendation that has
# gone, a decision already made): 409, with the reason in the message.
CONFLICT = "conflict"

_STATUS_BY_CODE = {RateLimited.CODE: 429, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409}


def http_status_for(error: ServiceError) -> int:
    """The one place that decides the HTTP status of a refused request: by its code, never by
    its (translated) message. A rate limit is 429, a missing permission 403, a missing or
    out-of-scope object 404; every other broken rule is 400."""
    return _STATUS_BY_CODE.get(error.code, 400)


def error_headers(error: ServiceError) -> dict[str, str]:
    """Headers that belong with the refusal (``Retry-After`` for a rate limit)."""
    retry_after = getattr(error, "retry_after", None)
    return {"Retry-After": str(retry_after)} if retry_after else {}


def error_body(code: str, message: str = "", field: str | None = None, **extra) -> dict:
    """The one JSON error shape of the API: ``{"code", "message", "field"}`` (+ details)."""
    return {"code": code, "message": str(message or code), "field": field, **extra}
