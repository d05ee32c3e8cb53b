"""The static files storage: whitenoise's compressed manifest, each file's address resolved
once.

Every page names the same few files (``{% static %}``: the style sheets, scripts, icon) and
the manifest storage cleans, splits and looks up each name again on every page; the manifest
only changes when ``collectstatic`` runs (``post_process``, which empties the cache), so an
address is kept per name and ``STATIC_URL``. Not cached in DEBUG (the files are served
unhashed there) nor with ``force``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, str], str] = {}

    def url(self, name, force=False):
        if force or settings.DEBUG:
            return super().url(name, force)
        key = (name, self.base_url)
        url = self._urls.get(key)
        if url is None:  # a name missing from the manifest raises here, and is not kept
            url = self._urls[key] = super().url(name)
        return url

    def post_process(self, *args, **kwargs):
        self._urls = {}
        yield from super().post_process(*args, **kwargs)
        self._urls = {}


def not_collected() -> bool:
    """True when this process's static files storage keeps a manifest and has none (``amanah
    collectstatic`` never ran into STATIC_ROOT): every page would fail naming a missing entry.
    The manifest is read when the storage is made, so a process started before the collection
    stays without one until it restarts — as its pages do. ``/healthz`` answers 503 then, and
    ``amanah serve`` collects before it starts."""
    hashed = getattr(staticfiles_storage, "hashed_files", None)
    return hashed is not None and not hashed


NOT_COLLECTED = "amanah.W001"  # the check's id (core.checks)
STAMP = ".amanah-sources"  # in STATIC_ROOT: the sources' fingerprint at the last collection


def sources_digest() -> str:
    """A fingerprint of every static source file (path, size, modification time) and
    STATIC_URL: it changes when an upgrade brings other files."""
    entries = sorted(
        (path, storage.path(path)) for finder in get_finders() for path, storage in finder.list([])
    )
    digest = hashlib.sha256(settings.STATIC_URL.encode())
    for path, full in entries:
        stat = os.stat(full)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect() -> bool:
    """``collectstatic`` into STATIC_ROOT unless the last collection there was of these very
    sources (its manifest and fingerprint present): ``amanah serve`` runs it before it starts,
    so an installation or an upgrade never serves a page that names a file the manifest lacks,
    and a restart pays nothing (the collection with compression takes ~10 s of CPU). Returns
    True when it collected. Raises what the collection raises (e.g. STATIC_ROOT not writable)."""
    root = Path(settings.STATIC_ROOT)
    digest = sources_digest()
    stamp = root / STAMP
    manifest = getattr(staticfiles_storage, "manifest_name", None)  # None: no manifest kept
    collected = manifest is None or (root / manifest).exists()
    if collected and stamp.exists() and stamp.read_text() == digest:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest)
    return True
