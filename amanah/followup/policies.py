"""Follow-up desk permissions (seed 004). Nobody may move a member by hand: no permission for
it exists, so no role can be given one; the rotation is the system's alone."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

DESK_WORK = declare(
    "followdesk.work",
    _("Kerjakan halaman tindak lanjut: member sendiri, catat telepon dan catatan"),
    default_roles=(R.AGENT, R.RM),
)
DESK_MONITOR = declare(
    "followdesk.monitor",
    _("Pantau meja tindak lanjut: semua member, jadwal rotasi, riwayat, beban per agen"),
    default_roles=(R.SUPERVISOR, R.ADMIN),
)
DESK_MANAGE = declare(
    "followdesk.manage",
    _("Atur agen meja tindak lanjut (urutan, kapasitas)"),
    default_roles=(R.ADMIN,),
)
MEMBER_ENROL = declare(
    "followdesk.member.enrol",
    _("Daftarkan member ke meja tindak lanjut (aturan, impor, integrasi)"),
    default_roles=(R.ADMIN,),
)
DEPOSIT_RECORD = declare(
    "followdesk.deposit.record",
    _("Kirim setoran member tindak lanjut (integrasi core banking, impor)"),
    default_roles=(R.ADMIN,),
)
DESK_REPORT = declare(
    "followdesk.report",
    _("Terima laporan harian meja tindak lanjut (rotasi, kinerja dan beban per agen)"),
    default_roles=(R.ADMIN,),
)
