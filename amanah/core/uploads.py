"""Uploads are bounded while they stream, not after the whole body sits on disk.

Django's own handlers keep every byte of an uploaded file (in memory, then in a temporary
file) before any view can look at its size, so a form taking a 20 MB document would spool a
4 GB body to disk first. ``BoundedUploadHandler`` runs first in ``FILE_UPLOAD_HANDLERS``:
it passes bytes on to the standard handlers until the request's files together exceed
``UPLOAD_MAX_BYTES``, then keeps nothing more. The file that crossed the line arrives as an
:class:`OversizedUpload` — no content, a size above the limit — so each form's own size
check refuses it with its usual clear message. Each form's limit still decides below this one.

The limit is per route: ``UPLOAD_MAX_BYTES`` (small: documents, attachments) everywhere, and a
view marked ``@upload_limit("SETTING")`` takes up to that setting (the batch import's
``INTEGRATIONS_IMPORT_MAX_BYTES``). ``UploadLimitMiddleware`` answers 413 — a page saying
how large a file the page takes — for a request whose declared length is over its route's
limit, before a byte of the body is read.

The API's JSON bodies go through the same gate: a request to ``/api/`` whose body is not a
multipart upload (the API reads any other body as JSON) and whose declared length is over
``API_JSON_MAX_BYTES`` (2 MB) is answered 413 in the API's one error shape
(``code: "too_large"``) before anything parses it. A body without a declared length reaches
Django as an empty one, so nothing unbounded is ever parsed.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

# A form's other fields and the multipart framing beside its files.
FORM_ALLOWANCE = 1024 * 1024


def upload_limit(setting: str):
    """Mark a view as taking uploads up to ``settings.<setting>`` bytes (read per request)
    instead of ``UPLOAD_MAX_BYTES``. Put it outermost (above ``requires``)."""

    def decorate(view):
        view.upload_max_bytes_setting = setting
        return view

    return decorate


def limit_for(request) -> int:
    """The most file bytes this request's route takes (resolved once per request)."""
    limit = getattr(request, "_upload_limit", None)
    if limit is None:
        limit = settings.UPLOAD_MAX_BYTES
        try:
            view = resolve(request.path_info, getattr(request, "urlconf", None)).func
        except Resolver404:
            view = None
        name = getattr(view, "upload_max_bytes_setting", None)
        if name:
            limit = max(limit, getattr(settings, name))
        request._upload_limit = limit
    return limit


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def api_json_too_large(request, length: int) -> bool:
    """An API request whose (JSON) body is declared longer than ``API_JSON_MAX_BYTES``."""
    from amanah.core.inputs import is_api_request

    return (
        length > settings.API_JSON_MAX_BYTES
        and is_api_request(request)
        and not request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")
    )


def too_large(request, limit: int, *, json_body: bool = False):
    from amanah.core.errors import error_body
    from amanah.core.inputs import is_api_request

    if json_body:
        message = _("Isi permintaan JSON terlalu besar (maks. %(size)s).") % {"size": _size(limit)}
        return JsonResponse(error_body("too_large", message), status=413)
    message = _("Berkas terlalu besar untuk halaman ini (maks. %(size)s).") % {"size": _size(limit)}
    if is_api_request(request):
        return JsonResponse(error_body("too_large", message), status=413)
    return render(request, "core/error.html", {"code": 413, "message": message}, status=413)


class UploadLimitMiddleware:
    """Refuses (413) a body whose declared length is over its route's upload limit — or, for
    the API's JSON bodies, over ``API_JSON_MAX_BYTES`` — before reading it; a body without a
    length is bounded while it streams (``BoundedUploadHandler``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if api_json_too_large(request, length):
            return too_large(request, settings.API_JSON_MAX_BYTES, json_body=True)
        # only a body past the small limit pays for resolving its route
        if length > settings.UPLOAD_MAX_BYTES + FORM_ALLOWANCE:
            limit = limit_for(request)
            if length > limit + FORM_ALLOWANCE:
                return too_large(request, limit)
        return self.get_response(request)


class OversizedUpload(UploadedFile):
    """A file refused while it streamed: its name and a size above the limit, no bytes."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        super().__init__(io.BytesIO(b""), name, content_type, size, charset, content_type_extra)


class BoundedUploadHandler(FileUploadHandler):
    """First handler of every request: stops keeping bytes past the route's limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = limit_for(request) if request is not None else settings.UPLOAD_MAX_BYTES
        self.request_bytes = 0  # every file of this request together
        self.file_bytes = 0
        self.over = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        self.over = False

    def receive_data_chunk(self, raw_data, start):
        self.request_bytes += len(raw_data)
        self.file_bytes += len(raw_data)
        if self.over or self.request_bytes > self.limit:
            self.over = True
            return None  # the later handlers keep nothing more of this file
        return raw_data

    def file_complete(self, file_size):
        if not self.over:
            return None  # the standard handler that kept the bytes answers
        return OversizedUpload(
            self.file_name,
            self.content_type,
            max(self.file_bytes, self.limit + 1),
            self.charset,
            self.content_type_extra,
        )
