"""Customer data permissions (seed 003 Bab 6.3) and the scope rule for portfolio roles."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

CUSTOMER_SEARCH = declare(
    "customer.search", _("Cari nasabah (dalam scope)"), default_roles=(R.AGENT, R.SUPERVISOR, R.RM)
)
CUSTOMER_VIEW = declare(
    "customer.view",
    _("Buka Customer 360 (dalam scope)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
# Seed 003 Bab 5.4: without this a viewer sees only the customers of their own portfolio (RM);
# with it, the customers of the branches in scope.
CUSTOMER_VIEW_BRANCH = declare(
    "customer.view.branch",
    _("Lihat nasabah cabang dalam scope (tanpa izin ini: hanya portofolio sendiri)"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
CUSTOMER_MANAGE = declare(
    "customer.manage",
    _("Tambah/ubah data induk nasabah"),
    default_roles=(R.SUPERVISOR, R.DATA_STEWARD),
)
PORTFOLIO_MANAGE = declare(
    "customer.portfolio.manage", _("Atur portofolio RM"), default_roles=(R.SUPERVISOR,)
)
DUPLICATES_VIEW = declare(
    "customer.duplicates.view",
    _("Lihat kandidat duplikat"),
    default_roles=(R.SUPERVISOR, R.ADMIN, R.DATA_STEWARD),
)
MERGE_PROPOSE = declare(
    "customer.merge.propose",
    _("Usulkan penggabungan nasabah"),
    default_roles=(R.SUPERVISOR, R.ADMIN, R.DATA_STEWARD),
)
MERGE_APPROVE = declare(
    "customer.merge.approve", _("Setujui penggabungan nasabah"), default_roles=(R.SUPERVISOR,)
)
# No role by default: the retention job's own actor anonymises (privacy.retention).
CUSTOMER_ANONYMISE = declare(
    "customer.anonymise",
    _("Anonimkan data nasabah yang masa retensinya habis (tugas retensi UU PDP)"),
)


def is_portfolio_scoped(actor) -> bool:
    """True when the actor sees its own portfolio instead of branches (the declared scope of
    Customer says which; this only tells callers choosing a query shape)."""
    from amanah.core import scopes
    from amanah.customers.models import Customer

    return scopes.own_rows_only(Customer, actor)
