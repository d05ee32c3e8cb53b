"""Sales permissions (seed 003 Bab 6.4.3, 7.7): marketing hands leads over, RMs work them.

MARKETING may create a lead but holds no lead list permission: it sees campaign outcomes only
as aggregates in its own reports, never the RM's board.
"""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

LEAD_VIEW = declare(
    "lead.view",
    _("Lihat lead (RM: milik sendiri; supervisor: cabang)"),
    default_roles=(R.RM, R.SUPERVISOR),
)
LEAD_CREATE = declare(
    "lead.create",
    _("Buat lead (kampanye, tindak lanjut layanan, manual)"),
    default_roles=(R.MARKETING, R.RM, R.SUPERVISOR, R.AGENT),
)
LEAD_UPDATE = declare(
    "lead.update", _("Pindahkan dan tutup lead"), default_roles=(R.RM, R.SUPERVISOR)
)
LEAD_REOPEN = declare(
    "lead.reopen",
    _("Buka kembali lead yang gagal (pembalikan dengan alasan)"),
    default_roles=(R.SUPERVISOR,),
)
ACTIVITY_LOG = declare(
    "sales.activity.log",
    _("Catat aktivitas RM (telepon, pertemuan, catatan)"),
    default_roles=(R.RM, R.SUPERVISOR),
)
OPPORTUNITY_VIEW = declare(
    "opportunity.view", _("Lihat pipeline peluang"), default_roles=(R.RM, R.SUPERVISOR)
)
OPPORTUNITY_MANAGE = declare(
    "opportunity.manage", _("Buat dan pindahkan peluang"), default_roles=(R.RM, R.SUPERVISOR)
)
FOLLOWUP_VIEW = declare(
    "followup.view",
    _("Lihat tugas tindak lanjut pasca-kasus"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
FOLLOWUP_COMPLETE = declare(
    "followup.complete",
    _("Catat hasil tindak lanjut (selesai/dilewati)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)

# Seed 003 US-16 AC-3: without these an actor sees only the leads, opportunities and follow-up
# tasks assigned to them (RMs, agents); with them, those of the branches in scope.
LEAD_VIEW_BRANCH = declare(
    "lead.view.branch",
    _("Lihat lead nasabah cabang dalam scope (tanpa izin ini: hanya lead sendiri)"),
    default_roles=(R.SUPERVISOR,),
)
OPPORTUNITY_VIEW_BRANCH = declare(
    "opportunity.view.branch",
    _("Lihat peluang nasabah cabang dalam scope (tanpa izin ini: hanya peluang sendiri)"),
    default_roles=(R.SUPERVISOR,),
)
FOLLOWUP_VIEW_BRANCH = declare(
    "followup.view.branch",
    _("Lihat tugas tindak lanjut cabang dalam scope (tanpa izin ini: hanya tugas sendiri)"),
    default_roles=(R.SUPERVISOR,),
)
# Marketing has no per-customer scope; with this it may hand over campaign leads of customers
# it may offer something to (no free text), instead of needing the customer in its own scope.
LEAD_HANDOVER = declare(
    "lead.handover",
    _("Serahkan lead kampanye tanpa scope nasabah (hanya nasabah yang boleh ditawari)"),
    default_roles=(R.MARKETING,),
)
