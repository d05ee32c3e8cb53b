"""The import contracts (``pyproject.toml``, ``[tool.importlinter]``; ``make test`` runs
``lint-imports``) catch what they are written for, and ``docs/architecture.md`` agrees with them.

The linter runs on a copy of the tree's Python files in a temporary folder (the real tree is
never touched): as it is, it passes; with one planted module it fails and names the import. The
doc's layer diagram is the configuration's layer order, and the debt figure the doc gives is
the number of imports the configuration lists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from amanah.core.tests.test_kernel_imports import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
DOC = REPO / "docs" / "architecture.md"
TEST_CODE = ("amanah.**.", "amanah.conftest ")


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The tree's Python files, the configuration and the contract type, copied."""
    root = tmp_path_factory.mktemp("tree")
    for path in (REPO / "amanah").rglob("*.py"):
        target = root / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def lint(root: Path, planted: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``lint-imports`` on the copy, with the planted modules (path: source) in place for the
    length of the run."""
    planted = planted or {}
    for name, source in planted.items():
        (root / name).write_text(source)
    try:
        # The copy first on the path: the linter reads it, not the installed tree.
        env = {**os.environ, "PYTHONPATH": str(root)}
        return subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for name in planted:
            (root / name).unlink()


def test_the_tree_keeps_every_contract(tree):
    run = lint(tree)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


def test_an_import_of_another_apps_internals_fails(tree):
    run = lint(tree, {"amanah/utility/probe.py": "from amanah.cases.services import case_close\n"})
    assert run.returncode != 0
    assert "Another app only through its contract, models or policies BROKEN" in run.stdout
    assert "amanah.utility.probe -> amanah.cases.services" in run.stdout


def test_an_import_of_another_apps_contract_passes(tree):
    run = lint(tree, {"amanah/utility/probe.py": "from amanah.cases import contract\n"})
    assert run.returncode == 0, run.stdout + run.stderr


def test_an_import_of_a_higher_app_fails(tree):
    run = lint(tree, {"amanah/audit/probe.py": "def f():\n    from amanah.cases import models\n"})
    assert run.returncode != 0
    assert "amanah.audit is not allowed to import amanah.cases" in run.stdout
    assert "No import cycle between apps BROKEN" in run.stdout


def test_the_kernel_importing_an_app_fails(tree):
    run = lint(tree, {"amanah/core/probe.py": "from amanah.iam import models\n"})
    assert run.returncode != 0
    assert "amanah.core is not allowed to import amanah.iam" in run.stdout


def _doc_section(title: str) -> str:
    text = DOC.read_text()
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_docs_layer_diagram_is_the_configured_order():
    block = _doc_section("Layers and the import rule").split("```\n", 2)[1]
    # One line a layer, lowest first; a line's name ends where two spaces begin.
    drawn = [
        re.split(r"\s{2,}", line, maxsplit=1)[0]
        for line in block.splitlines()
        if line and not line[0].isspace()
    ]
    configured = list(reversed(_contracts()["layers"]["layers"]))
    assert drawn == configured


def test_the_docs_debt_figure_is_the_configured_count():
    ignored = _contracts()["published-face"]["ignore_imports"]
    debt = [line for line in ignored if not line.startswith(TEST_CODE)]
    assert debt, "the debt is paid: drop this figure from the doc"
    assert f"**{len(debt)}** imports" in _doc_section("Layers and the import rule")
