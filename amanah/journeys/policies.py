"""Journey permissions (seed 001 §6, like campaigns: marketing builds, someone else approves)."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

JOURNEY_VIEW = declare(
    "journey.view",
    _("Lihat journey pemasaran dan angkanya"),
    default_roles=(R.MARKETING, R.COMPLIANCE, R.DIRECTOR),
)
JOURNEY_MANAGE = declare(
    "journey.manage",
    _("Buat, ubah, ajukan, aktifkan dan hentikan journey"),
    default_roles=(R.MARKETING,),
)
# Never by the journey version's author or submitter (four eyes, a workflow guard).
JOURNEY_APPROVE = declare(
    "journey.approve",
    _("Setujui/tolak journey (bukan pembuat atau pengajunya)"),
    default_roles=(R.MARKETING, R.COMPLIANCE, R.DIRECTOR),
)
# Held by no role: the engine (an IntegrationActor) enrolls and advances customers.
JOURNEY_RUN = declare("journey.run", _("Jalankan mesin journey (pekerja)"))
# Held by no role: a system key (an IntegrationActor) enrolls one customer into an ACTIVE
# journey whose trigger is API (``POST /api/v1/journeys/{key}/enrollments``).
JOURNEY_ENROLL = declare("journey.enroll", _("Daftarkan nasabah ke journey lewat API (sistem)"))
