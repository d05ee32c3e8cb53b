"""What dashboards offer the house: the director's dashboard as the director's home page and
its menu entry. Widgets come from the other apps' contracts (``registry.dashboard_widgets``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.core import registry
from amanah.core.contributions import HomePage, NavItem
from amanah.dashboards.policies import DASHBOARD_DIRECTOR


def _director_home(request):
    from amanah.dashboards.views import director_home

    return director_home(request)


registry.home_pages.register("dashboards.director", HomePage(DASHBOARD_DIRECTOR, _director_home))
registry.navigation.register(
    "dashboards.director",
    NavItem(gettext_lazy("Dasbor"), "dashboards:director", DASHBOARD_DIRECTOR),
    order=5,
)
