"""Dashboard permissions (issue 15). Each widget also needs its own permission, declared by
the app that contributes it."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

# Seed 003 Bab 6.3.1: the director sees aggregates only — widgets that show no personal data,
# counts below 5 suppressed.
DASHBOARD_DIRECTOR = declare(
    "dashboard.director",
    _("Dasbor direksi (angka agregat, tanpa data pribadi)"),
    default_roles=(R.DIRECTOR,),
)
# The compliance officer's dashboard: live panels with deadlines (a personal-data breach's
# notification timer) contributed by the apps; each panel also needs its own permission.
DASHBOARD_COMPLIANCE = declare(
    "dashboard.compliance",
    _("Dasbor kepatuhan (tenggat UU PDP dan lainnya)"),
    default_roles=(R.COMPLIANCE,),
)
