"""Field ops knows its arrears sources only through its registry (issue 50, 6): the bank's
loan arrears (its own) and the PDAM's water bills (declared by the utility from its contract)
are both there, and no module of field ops imports the utility — the utility, above it,
registers into field ops' store, as it does its service areas for the map."""

from __future__ import annotations

from pathlib import Path

from amanah.core.testing import every_profiles_items
from amanah.core.tests.test_kernel_imports import REPO, _package_of, imported_modules
from amanah.fieldops.contract import arrears_sources

FIELDOPS = REPO / "amanah" / "fieldops"


def test_both_profiles_sources_are_declared_in_the_registry():
    assert {"fieldops.loan_arrears", "utility.bills"} <= {
        key for key, _s in every_profiles_items(arrears_sources)
    }
    # each deployment generates from its own: the bank's job never reads the water bills
    assert "utility.bills" not in {key for key, _s in arrears_sources.items()}


def test_fieldops_never_imports_the_utility():
    modules = sorted(
        p for p in FIELDOPS.rglob("*.py") if "tests" not in p.relative_to(FIELDOPS).parts
    )
    assert modules
    offences = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in modules
        for line, module in imported_modules(Path(path).read_text(), _package_of(path))
        if module == "amanah.utility" or module.startswith("amanah.utility.")
    ]
    assert offences == []
