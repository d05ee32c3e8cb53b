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


class NotFound(Http404):
    """Missing and out-of-scope objects look the same to the caller."""
