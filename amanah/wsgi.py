import gc
import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanah.settings")
_full = get_wsgi_application()

from amanah.core.lean import is_lean, lean  # noqa: E402 (after the apps are loaded)

_lean = lean(WSGIHandler)()

# What is loaded by now (Django, the apps, their registries: some 200,000 objects) lives as long
# as the process. Frozen, it is no longer walked by each of the collector's full passes.
gc.freeze()
# A request makes thousands of short-lived objects (rows, querysets, template nodes): at the
# default threshold (700) the collector's passes took 2.7 % of the CPU of the load's requests
# in-process (85 passes in 120 requests); at 50,000, 1.0 % (one pass) (docs/benchmarks.md).
# What a request leaves in cycles waits a little longer to be freed.
gc.set_threshold(50_000, 10, 10)


def application(environ, start_response):
    """Gateway callbacks through the lean middleware chain (``core.lean``), the rest through
    the full one."""
    if is_lean(environ.get("PATH_INFO", "")):
        return _lean(environ, start_response)
    return _full(environ, start_response)
