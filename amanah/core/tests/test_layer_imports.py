"""No app below the 360 page imports it (DESIGN §2.1): ``customer360`` is a composition layer
above the domain apps, which import only lower apps' selectors and published rules.

Each listed app's modules (tests excepted: they exercise the whole house) are parsed with
``ast`` by the kernel-import check; any import of ``amanah.customer360`` fails with file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amanah.core.tests.test_kernel_imports import REPO, _package_of, imported_modules

BELOW_THE_360_PAGE = (
    "cases",
    "sales",
    "marketing",
    "consent",
    "customers",
    "calendars",
    "notifications",
    "iam",
    "audit",
    "workflow",
)


def _modules_of(app: str) -> list[Path]:
    root = REPO / "amanah" / app
    return sorted(p for p in root.rglob("*.py") if "tests" not in p.relative_to(root).parts)


def imports_the_360_page(module: str) -> bool:
    return module == "amanah.customer360" or module.startswith("amanah.customer360.")


@pytest.mark.parametrize("app", BELOW_THE_360_PAGE)
def test_the_app_does_not_import_the_360_page(app):
    assert _modules_of(app), f"no modules found for {app}"
    offences = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in _modules_of(app)
        for line, module in imported_modules(path.read_text(), _package_of(path))
        if imports_the_360_page(module)
    ]
    assert offences == [], f"{app} must not import customer360:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        "from amanah.customer360.selectors import customer_for\n",
        "def f():\n    from amanah.customer360 import selectors\n",
        "from amanah import customer360\n",
        "from ..customer360.policies import TIMELINE_SENSITIVE\n",
    ],
)
def test_the_check_sees_every_form_of_import(source):
    found = imported_modules(source, "amanah.cases")
    assert any(imports_the_360_page(module) for _line, module in found)
