"""Working-calendar permissions: calendars drive every SLA clock, so only ADMIN edits them."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

CALENDAR_MANAGE = declare(
    "calendar.manage",
    _("Kelola kalender kerja, jam kerja, hari libur dan kalender cabang"),
    default_roles=(R.ADMIN,),
)

ABSENCE_MANAGE = declare(
    "calendar.absence.manage",
    _("Catat cuti, libur dan ketidakhadiran staf (dipakai penugasan otomatis)"),
    default_roles=(R.SUPERVISOR, R.ADMIN),
)
