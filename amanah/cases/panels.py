"""Panels that apps above cases add to the case page (e.g. knowledge's suggested articles).

Cases cannot import a higher app, so such an app registers a :class:`CasePanel` through
``cases.contract.register_case_panel`` and the case page renders what the registry holds:
each panel's template with the values its ``values(case, actor=)`` returns, shown only to an
actor holding its permission. ``values`` reads through ``visible_to(actor)`` like every provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amanah.core import registry
from amanah.iam import authz


@dataclass(frozen=True)
class CasePanel:
    permission: str
    template: str
    values: Callable[..., dict]  # fn(case, *, actor) -> the template's context


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template: str
    values: dict


def register_case_panel(key: str, panel: CasePanel, *, order: int = 50) -> CasePanel:
    return registry.case_panels.register(key, panel, order=order)


def panels_for(case, *, actor) -> list[ShownPanel]:
    """The registered panels the actor may see, with their values for ``case``."""
    return [
        ShownPanel(key, panel.template, panel.values(case, actor=actor))
        for key, panel in registry.case_panels.items()
        if authz.has_perm(actor, panel.permission)
    ]
