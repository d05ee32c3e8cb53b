"""Insight permissions (seed 001 §1, §7): who sees a customer's value and who recomputes it.

Seeing the RFM card is a question of the customer's scope too (the scores are read through
``visible_to``); the permission only says whether the role is shown customer value at all.
"""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

RFM_VIEW = declare(
    "insight.rfm.view",
    _("Lihat nilai nasabah (RFM, CLV) di Customer 360"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.MARKETING, R.DIRECTOR),
)
RFM_RUN = declare(
    "insight.rfm.run",
    _("Lihat riwayat perhitungan RFM dan hitung ulang sekarang"),
    default_roles=(R.ADMIN,),
)
TRANSACTION_RECORD = declare(
    "insight.transaction.record",
    _("Catat transaksi nasabah (umpan transaksi, impor)"),
    default_roles=(),
)
