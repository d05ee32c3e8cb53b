"""Uploads are bounded while they stream, not after the whole body sits on disk.

Django's own handlers keep every byte of an uploaded file (in memory, then in a temporary
file) before any view can look at its size, so a form taking a 20 MB document would spool a
4 GB body to disk first. ``BoundedUploadHandler`` runs first in ``FILE_UPLOAD_HANDLERS``:
it passes bytes on to the standard handlers until the request's files together exceed
``UPLOAD_MAX_BYTES``, then keeps nothing more. The file that crossed the line arrives as an
:class:`OversizedUpload` — no content, a size above the limit — so each form's own size
check refuses it with its usual clear message. Each form's limit still decides below this one.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """A file refused while it streamed: its name and a size above the limit, no bytes."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        super().__init__(io.BytesIO(b""), name, content_type, size, charset, content_type_extra)


class BoundedUploadHandler(FileUploadHandler):
    """First handler of every request: stops keeping bytes past ``UPLOAD_MAX_BYTES``."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES
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
