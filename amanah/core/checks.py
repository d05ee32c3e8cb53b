"""The kernel's system checks (tag ``amanah``): ``amanah check --deploy`` warns of an
installation whose static files were never collected — a web server started on it by other
means than ``amanah serve`` (which collects them itself before it runs these checks) would fail
every page, and its ``/healthz`` answers 503."""

from __future__ import annotations

from django.core import checks

from amanah.core import staticfiles


@checks.register("amanah", deploy=True)
def static_files_collected(app_configs=None, **kwargs) -> list:
    if not staticfiles.not_collected():
        return []
    return [
        checks.Warning(
            "static files are not collected (no manifest in STATIC_ROOT): a web server other "
            "than `amanah serve` (which collects them) would fail every page",
            id=staticfiles.NOT_COLLECTED,
        )
    ]
