"""The static files storage: whitenoise's compressed manifest, each file's address resolved
once.

Every page names the same few files (``{% static %}``: the style sheets, scripts, icon) and
the manifest storage cleans, splits and looks up each name again on every page; the manifest
only changes when ``collectstatic`` runs (``post_process``, which empties the cache), so an
address is kept per name and ``STATIC_URL``. Not cached in DEBUG (the files are served
unhashed there) nor with ``force``.
"""

from __future__ import annotations

from django.conf import settings
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
