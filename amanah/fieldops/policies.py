"""Field-operations permissions (seed 002, issue 19).

An agent (CTB) works its own work orders (``fieldops.wo.view`` + ``fieldops.wo.work``); a
supervisor sees the team's (its branches: ``fieldops.wo.team``) and manages them
(``fieldops.wo.manage``: generate, create by hand, assign, close, cancel, revert, accept a
coordinate correction, settle a conflict). "Own work orders only" is the *absence* of
``fieldops.wo.team`` in the editable matrix, never a role list in code.
"""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

WO_VIEW = declare(
    "fieldops.wo.view",
    _("Lihat work order kunjungan (milik sendiri)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.ADMIN),
)
WO_TEAM = declare(
    "fieldops.wo.team",
    _("Lihat work order tim (seluruh cabang dalam cakupan)"),
    default_roles=(R.SUPERVISOR, R.ADMIN),
)
WO_WORK = declare(
    "fieldops.wo.work",
    _("Kerjakan work order: mulai kunjungan, catat hasil kunjungan (VOC)"),
    default_roles=(R.AGENT,),
)
WO_MANAGE = declare(
    "fieldops.wo.manage",
    _(
        "Kelola work order: buat, bangkitkan dari tunggakan, tugaskan, tutup, batalkan, "
        "terima koreksi koordinat"
    ),
    default_roles=(R.SUPERVISOR,),
)
ARREARS_IMPORT = declare(
    "fieldops.arrears.import",
    _("Impor data tunggakan pinjaman (sumber work order)"),
    default_roles=(R.ADMIN,),
)
WO_EXPORT = declare(
    "fieldops.wo.export",
    _("Unduh work order dan hasil kunjungan tim (CSV/XLSX)"),
    default_roles=(R.SUPERVISOR,),
)
