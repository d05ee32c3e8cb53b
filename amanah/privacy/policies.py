"""UU PDP (UU 27/2022) permissions: the data subject's access export, correction requests
(four eyes), personal-data breach incidents and their notification timer."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

PRIVACY_DSAR = declare(
    "privacy.dsar",
    _("Buat dan unduh ekspor data subjek (UU PDP) untuk nasabah di cabang dalam scope"),
    default_roles=(R.COMPLIANCE,),
)
PRIVACY_CORRECTION_REQUEST = declare(
    "privacy.correction.request",
    _("Catat permintaan koreksi data pribadi dari nasabah (UU PDP)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
PRIVACY_CORRECTION_REVIEW = declare(
    "privacy.correction.review",
    _("Tinjau dan terapkan koreksi data pribadi (orang kedua)"),
    default_roles=(R.SUPERVISOR,),
)
PRIVACY_BREACH_VIEW = declare(
    "privacy.breach.view",
    _("Lihat insiden kegagalan pelindungan data pribadi dan tenggat pemberitahuannya"),
    default_roles=(R.COMPLIANCE, R.ADMIN),
)
PRIVACY_BREACH_MANAGE = declare(
    "privacy.breach.manage",
    _("Catat insiden data pribadi dan pemberitahuannya (3×24 jam)"),
    default_roles=(R.COMPLIANCE,),
)
