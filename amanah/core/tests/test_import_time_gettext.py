"""No text is translated at import time: a module-level ``gettext`` call freezes the language
of whoever imported the module first (campaign messages stayed Indonesian in the English UI)."""

import ast
from pathlib import Path

import amanah

EAGER_NAMES = {"gettext", "ngettext", "pgettext"}


def _eager_aliases(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in EAGER_NAMES
    }


class _ImportTimeCalls(ast.NodeVisitor):
    """Calls that run when the module is imported: outside every function and lambda."""

    def __init__(self, names: set[str]):
        self.names, self.found = names, []

    def visit_FunctionDef(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        pass

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            self.found.append(node.lineno)
        self.generic_visit(node)


def import_time_gettext(source: str) -> list[int]:
    tree = ast.parse(source)
    visitor = _ImportTimeCalls(_eager_aliases(tree))
    visitor.visit(tree)
    return visitor.found


def test_no_module_translates_at_import_time():
    root = Path(amanah.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{line}"
        for path in root.rglob("*.py")
        for line in import_time_gettext(path.read_text())
    ]
    assert offenders == []


def test_the_check_finds_an_eager_constant_and_spares_lazy_and_function_calls():
    eager = "from django.utils.translation import gettext as _\nDONE = {'a': _('Selesai')}\n"
    lazy = "from django.utils.translation import gettext_lazy as _\nDONE = _('Selesai')\n"
    inside = "from django.utils.translation import gettext as _\ndef f():\n    return _('x')\n"
    assert import_time_gettext(eager) == [2]
    assert import_time_gettext(lazy) == [] and import_time_gettext(inside) == []
