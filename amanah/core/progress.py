"""A long response telling the web server's watchdog it is still making progress.

``amanah serve`` runs gunicorn's sync workers (one request at a time per process, see
``amanah.gunicorn_conf``); gunicorn kills a worker that has not reported for its ``timeout``
(60 s), which would cut a large export off mid-stream. The serving worker installs its report
here (``report_to``); long work in a request calls ``still_working()`` as it goes (each row or
chunk; at most one report a second is sent). A response that stops progressing (a query that
hangs, a client that stops reading) stops reporting and is killed as before. Without a sync
worker nothing is installed and ``still_working()`` does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

REPORT_EVERY_SECONDS = 1.0

_report: Callable[[], None] | None = None
_last_report = 0.0


def report_to(report: Callable[[], None]) -> None:
    global _report
    _report = report


def still_working() -> None:
    global _last_report
    if _report is None:
        return
    now = time.monotonic()
    if now - _last_report >= REPORT_EVERY_SECONDS:
        _last_report = now
        _report()
