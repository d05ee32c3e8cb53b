"""Customer data permissions (seed 003 Bab 6.3) and the scope rule for portfolio roles.

Who holds what by default, and why (seed 003 Bab 5.2 roles, 5.4 scope, 6.2 notation):

- Master data (register, edit, relations) and identifiers (add, correct, verify): the branch's
  supervisor and the data steward — Bab 5.2 gives the data steward "konsistensi identifier,
  perbaikan data"; the supervisor is the branch's "A" (approve) role of Bab 6.2. The data
  steward opens the customers of its branch scope to do so (search, 360).
- Portfolios: the supervisor puts customers in an RM's portfolio and moves them (one at a
  time); moving many at once is a bulk action, which Bab 5.4 ("Action Scope: export, bulk
  action … butuh izin khusus") gives its own permission. Who may *hold* a portfolio is a
  permission too (the RM's), so that "an RM" is a cell of the editable matrix, never a role
  name in code.
- The fraud flag is Tier-3 data (Bab 5.4: "catatan sensitif (fraud/scam) → akses lebih ketat
  + audit"): compliance / risk sets and clears it with a reason (Bab 6.3.5), nobody else.
"""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

CUSTOMER_SEARCH = declare(
    "customer.search",
    _("Cari nasabah (dalam scope)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.DATA_STEWARD),
)
CUSTOMER_VIEW = declare(
    "customer.view",
    _("Buka Customer 360 (dalam scope)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.DATA_STEWARD),
)
# Seed 003 Bab 5.4: without this a viewer sees only the customers of their own portfolio (RM);
# with it, the customers of the branches in scope.
CUSTOMER_VIEW_BRANCH = declare(
    "customer.view.branch",
    _("Lihat nasabah cabang dalam scope (tanpa izin ini: hanya portofolio sendiri)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.DATA_STEWARD),
)
CUSTOMER_MANAGE = declare(
    "customer.manage",
    _("Tambah/ubah data induk nasabah dan relasinya"),
    default_roles=(R.SUPERVISOR, R.DATA_STEWARD),
)
IDENTIFIER_MANAGE = declare(
    "customer.identifier.manage",
    _("Tambah/koreksi identitas nasabah (CIF, NIK, nomor rekening)"),
    default_roles=(R.SUPERVISOR, R.DATA_STEWARD),
)
IDENTIFIER_VERIFY = declare(
    "customer.identifier.verify",
    _("Verifikasi identitas nasabah (oleh petugas lain dari yang mengubahnya)"),
    default_roles=(R.SUPERVISOR, R.DATA_STEWARD),
)
PORTFOLIO_MANAGE = declare(
    "customer.portfolio.manage",
    _("Atur portofolio RM per nasabah (masukkan, pindahkan, lepas)"),
    default_roles=(R.SUPERVISOR,),
)
PORTFOLIO_BULK = declare(
    "customer.portfolio.bulk",
    _("Pindahkan portofolio RM secara massal"),
    default_roles=(R.SUPERVISOR,),
)
PORTFOLIO_HOLD = declare(
    "customer.portfolio.hold",
    _("Dapat memegang portofolio nasabah (RM)"),
    default_roles=(R.RM,),
)
FRAUD_FLAG = declare(
    "customer.fraud.flag",
    _("Pasang/cabut tanda fraud nasabah (dengan alasan)"),
    default_roles=(R.COMPLIANCE,),
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
