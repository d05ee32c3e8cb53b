"""Integration permissions (seed 003 Bab 12): ADMIN keeps the systems' keys; agents and
supervisors work the queue of inbound messages no customer could be matched to."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

SYSTEM_KEY_MANAGE = declare(
    "integration.key.manage",
    _("Kelola sistem eksternal dan kunci API-nya (buat, rotasi, cabut)"),
    default_roles=(R.ADMIN,),
)
INTAKE_VIEW = declare(
    "integration.intake.view",
    _("Lihat antrean pesan masuk yang belum cocok dengan nasabah (isi pesan)"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
INTAKE_LINK = declare(
    "integration.intake.link",
    _("Tautkan pesan masuk ke nasabah (membuat kasus)"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
IMPORT_RUN = declare(
    "integration.import.run",
    _("Impor data massal (CSV/XLSX/API): unggah, atur pemetaan kolom, uji coba, jalankan"),
    default_roles=(R.ADMIN, R.DATA_STEWARD),
)
