"""What calendars offers the house: the working-calendar settings in the admin menu."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.calendars.policies import CALENDAR_MANAGE
from amanah.core import registry
from amanah.core.contributions import NavItem

registry.navigation.register(
    "calendars.list",
    NavItem(_("Kalender kerja"), "calendars:list", CALENDAR_MANAGE, "admin"),
    order=230,
)
