"""Workflow permissions: ADMIN reads and edits the transition tables; compliance reads them."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

WORKFLOW_VIEW = declare(
    "workflow.view",
    _("Lihat alur kerja dan tabel transisinya"),
    default_roles=(R.ADMIN, R.COMPLIANCE),
)
WORKFLOW_MANAGE = declare(
    "workflow.manage",
    _("Ubah transisi alur kerja (izin, guard, aktif)"),
    default_roles=(R.ADMIN,),
)
