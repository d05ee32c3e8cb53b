"""The kernel's system checks (tag ``amanah``): ``amanah check --deploy`` names a production
installation that would fail every page (its static files never collected). ``amanah serve``
collects them itself before it runs these checks."""

from __future__ import annotations

from django.core import checks

from amanah.core import staticfiles


@checks.register("amanah", deploy=True)
def static_files_collected(app_configs=None, **kwargs) -> list:
    if not staticfiles.not_collected():
        return []
    return [
        checks.Error(
            "static files are not collected (no manifest in STATIC_ROOT): every page would "
            "fail; run `amanah collectstatic --no-input` (amanah serve does)",
            id="amanah.E001",
        )
    ]
