"""The kernel never imports an app (DESIGN §2.1): apps plug into ``core`` through registries.

Every module under ``amanah/core/`` (its tests excepted: they exercise the whole house) is
parsed with ``ast``; an import of ``amanah.<anything but core>`` anywhere in it — at the top,
inside a function, relative or absolute — fails the test with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1]
REPO = CORE.parent.parent


def _kernel_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "tests" not in p.relative_to(CORE).parts)


def _package_of(path: Path) -> str:
    """The package a module's relative imports start from (``amanah.core`` …)."""
    return ".".join(path.relative_to(REPO).parent.parts)


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, wherever it sits."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from amanah import iam`` names the app among the imported names.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def is_app(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] == "amanah" and parts[1] != "core"


def test_the_kernel_imports_no_app():
    offences = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in _kernel_modules()
        for line, module in imported_modules(path.read_text(), _package_of(path))
        if is_app(module)
    ]
    assert offences == [], "core must not import apps:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        "from amanah.iam import authz\n",
        "def f():\n    from amanah.iam.services import mfa_required\n",
        "class C:\n    def m(self):\n        import amanah.cases.models\n",
        "from amanah import sales\n",
        "from ..iam import authz\n",
    ],
)
def test_the_check_sees_every_form_of_import(source):
    assert any(is_app(module) for _line, module in imported_modules(source, "amanah.core"))


def test_the_check_lets_the_kernel_import_itself():
    source = "from amanah.core import registry\nfrom . import access\nimport amanah.core.errors\n"
    assert not any(is_app(module) for _line, module in imported_modules(source, "amanah.core"))
