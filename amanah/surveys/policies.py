"""Survey permissions (seed 001 §9). Nobody answers a survey with a permission of staff: the
customer's signed link is the authority, and the respondent acts as ``SURVEY_RESPONDENT``
(``surveys.services``), an integration actor holding ``surveys.respond`` only."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

SURVEY_VIEW = declare(
    "surveys.view",
    _("Lihat hasil survei nasabah (CSAT, CES, NPS) di Nasabah 360"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.DIRECTOR, R.COMPLIANCE),
)
SURVEY_REPORT = declare(
    "surveys.report",
    _("Lihat metrik survei per cabang (CSAT %, NPS, tingkat respons)"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR, R.COMPLIANCE),
)
SURVEY_SEND = declare(
    "surveys.send",
    _("Kirim undangan survei nasabah (sistem)"),
    default_roles=(),
)
SURVEY_RESPOND = declare(
    "surveys.respond",
    _("Catat jawaban survei dari tautan nasabah (sistem)"),
    default_roles=(),
)
