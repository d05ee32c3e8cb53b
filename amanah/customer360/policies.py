from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

# Seed 003 Bab 5.4 Tier-3: sensitive notes (fraud/scam) only for stricter roles.
TIMELINE_SENSITIVE = declare(
    "timeline.sensitive",
    _("Lihat rincian peristiwa kategori sensitif"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE),
)
