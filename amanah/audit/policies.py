from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey

# Seed 003 Bab 6.3.5: compliance reads the full trail and exports it.
AUDIT_VIEW = declare("audit.view", _("Lihat log audit"), default_roles=(RoleKey.COMPLIANCE,))
AUDIT_EXPORT = declare(
    "audit.export", _("Ekspor log audit (CSV)"), default_roles=(RoleKey.COMPLIANCE,)
)
