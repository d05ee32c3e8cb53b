"""An import-linter contract type of this house: another app only through its published face.

DESIGN §2.1: an app imports another app's ``contract``, ``models`` or ``policies`` (and what is
under them when they are packages), never its services, selectors, views or helpers. The
kernel's modules are open to every app. import-linter's own types cannot say "every module of
the app but these", so this type does (``pyproject.toml``, ``[tool.importlinter]``, loaded
through ``contract_types``; ``lint-imports`` runs it from the repository's root).

Options:

- ``apps``: expressions of the app packages (``amanah.*``: every package under ``amanah``;
  plain modules such as ``amanah.urls`` are not apps and are not checked);
- ``open``: app packages whose every module anyone may import (the kernel);
- ``published``: the names of an app's submodules that form its published face;
- ``exempt``: app packages whose own imports are not checked (the demo data builder);
- ``ignore_imports``, ``unmatched_ignore_imports_alerting``: as in import-linter's own types
  (the recorded debt; test code).
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain import helpers


class PublishedFaceContract(Contract):
    """Every import from one app into another lands on the other's published face."""

    type_name = "published_face"

    apps = fields.ListField(subfield=fields.ModuleExpressionField())
    open = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    published = fields.ListField(subfield=fields.StringField())
    exempt = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )
    broken_contract_guidance = fields.TextField(required=False)

    def _packages(self, graph: grimp.ImportGraph, expressions) -> set[str]:
        found = helpers.module_expressions_to_modules(graph, expressions or [])
        return {module.name for module in found if graph.find_children(module.name)}

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        apps = self._packages(graph, self.apps)
        open_apps = self._packages(graph, self.open)
        exempt = self._packages(graph, self.exempt)
        published = set(self.published)  # type: ignore[arg-type]

        def app_of(module: str) -> str | None:
            return next((a for a in apps if module == a or module.startswith(a + ".")), None)

        def is_published(module: str, app: str) -> bool:
            rest = module[len(app) + 1 :].split(".") if module != app else []
            return not rest or rest[0] in published

        illegal = []
        for app in sorted(apps - exempt):
            for importer in sorted({app} | graph.find_descendants(app)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    other = app_of(imported)
                    if other in (None, app) or other in open_apps:
                        continue
                    if is_published(imported, other):
                        continue
                    lines = tuple(
                        d["line_number"]
                        for d in graph.get_import_details(importer=importer, imported=imported)
                    )
                    illegal.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(
            kept=not illegal,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"illegal": illegal},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        face = ", ".join(self.published)  # type: ignore[arg-type]
        output.print_error(f"Imports of another app's internals (published: {face}):", bold=False)
        output.new_line()
        for link in check.metadata["illegal"]:
            lines = ", ".join(map(str, link["lines"]))
            output.print_error(
                f"- {link['importer']} -> {link['imported']} (l.{lines})", bold=False
            )
        output.new_line()
        guidance = self.broken_contract_guidance
        contract_utils.render_broken_contract_guidance(guidance)  # type: ignore[arg-type]
