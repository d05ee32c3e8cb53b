from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

# Seed 003 Bab 6.3.6: IT admin configures roles, scope and users; never free access to data.
USER_MANAGE = declare(
    "iam.user.manage", _("Kelola pengguna, peran dan scope"), default_roles=(R.ADMIN,)
)
RBAC_MANAGE = declare("iam.rbac.manage", _("Ubah matriks izin"), default_roles=(R.ADMIN,))
BRANCH_MANAGE = declare("iam.branch.manage", _("Kelola cabang"), default_roles=(R.ADMIN,))
BRANCH_VIEW = declare(
    "iam.branch.view",
    _("Lihat halaman cabang dan timnya"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR, R.ADMIN),
)
TOKEN_MANAGE = declare("iam.token.manage", _("Kelola token API"), default_roles=(R.ADMIN,))
# Seed 003 Bab 6.3.5/6.3.6: detail only with a reason, always audited.
PII_REVEAL = declare(
    "pii.reveal",
    _("Buka satu data termasking dengan alasan"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE, R.ADMIN),
)
