"""What dashboards offer the house: the director's dashboard as the director's home page, the
compliance dashboard as compliance's, and their menu entries. Aggregate widgets come from the
other apps' contracts (``registry.dashboard_widgets``); live panels — a few open items with a
deadline, such as a personal-data breach's notification timer — through ``register_panel``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.core import registry
from amanah.core.contributions import HomePage, NavItem, Panel
from amanah.dashboards.policies import DASHBOARD_COMPLIANCE, DASHBOARD_DIRECTOR

__all__ = ["Panel", "register_panel"]


def register_panel(key: str, panel: Panel, *, order: int = 50) -> Panel:
    """A live panel on a role dashboard (``panel.dashboard``: "compliance"); write-once."""
    if panel.dashboard != "compliance":
        raise ValueError(f"no dashboard {panel.dashboard!r} takes panels")
    return registry.dashboard_panels.register(key, panel, order=order)


def _director_home(request):
    from amanah.dashboards.views import director_home

    return director_home(request)


def _compliance_home(request):
    from amanah.dashboards.views import compliance_home

    return compliance_home(request)


registry.home_pages.register("dashboards.director", HomePage(DASHBOARD_DIRECTOR, _director_home))
registry.home_pages.register(
    "dashboards.compliance", HomePage(DASHBOARD_COMPLIANCE, _compliance_home), order=60
)
registry.navigation.register(
    "dashboards.director",
    NavItem(gettext_lazy("Dasbor"), "dashboards:director", DASHBOARD_DIRECTOR),
    order=5,
)
registry.navigation.register(
    "dashboards.compliance",
    NavItem(gettext_lazy("Dasbor kepatuhan"), "dashboards:compliance", DASHBOARD_COMPLIANCE),
    order=6,
)
