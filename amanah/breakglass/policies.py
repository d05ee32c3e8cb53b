"""Break-glass permissions (seed 003 Bab 5.2, 6.3.5, 7.5 US-12): compliance (or IT admin, for
troubleshooting) asks for one customer with a reason; another holder decides or reviews."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

BREAKGLASS_VIEW = declare(
    "breakglass.view",
    _("Lihat daftar akses darurat (break-glass) dan status tinjauannya"),
    default_roles=(R.COMPLIANCE, R.ADMIN),
)
BREAKGLASS_REQUEST = declare(
    "breakglass.request",
    _("Minta akses darurat ke satu nasabah dengan alasan"),
    default_roles=(R.COMPLIANCE, R.ADMIN),
)
BREAKGLASS_DECIDE = declare(
    "breakglass.decide",
    _("Setujui, tolak atau tinjau akses darurat orang lain"),
    default_roles=(R.COMPLIANCE, R.ADMIN),
)
