"""The sizes issue 52 holds the house to, counted the same way every time.

    python scripts/room_counts.py          # the figures
    python scripts/room_counts.py --list   # and every module and function over its limit

Product code only: ``amanah/`` without tests, migrations, ``testing.py`` and ``conftest.py``.
A module is over when it has more than 400 lines; a function (or method) when its body spans
more than 60 lines, its decorators and signature included. The figures go into
docs/architecture.md ("Room sizes").
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE_LIMIT = 400
FUNCTION_LIMIT = 60


def product_modules() -> list[Path]:
    paths = []
    for path in sorted((ROOT / "amanah").rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        if path.name in ("testing.py", "conftest.py"):
            continue
        paths.append(path)
    return paths


def long_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - first + 1
            if length > FUNCTION_LIMIT:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", length))
    return found


def main(argv: list[str]) -> int:
    modules = product_modules()
    big = [
        (str(p.relative_to(ROOT)), n)
        for p in modules
        if (n := len(p.read_text().splitlines())) > MODULE_LIMIT
    ]
    functions = [f for p in modules for f in long_functions(p)]
    print(f"product modules: {len(modules)}")
    print(f"modules over {MODULE_LIMIT} lines: {len(big)}")
    print(f"functions over {FUNCTION_LIMIT} lines: {len(functions)}")
    if "--list" in argv:
        for name, n in sorted(big, key=lambda x: -x[1]):
            print(f"  {n:5d}  {name}")
        for name, n in sorted(functions, key=lambda x: -x[1]):
            print(f"  {n:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
