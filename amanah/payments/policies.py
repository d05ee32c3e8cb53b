"""Payment permissions. There is no cashier/finance role in the bank's matrix yet: finance work
maps to SUPERVISOR (branch operations, scoped by branch) and COMPLIANCE / DIRECTOR (the whole
house); reconciliation to COMPLIANCE; the raw gateway callbacks are ADMIN's (integration
troubleshooting). ``payments.callback.apply`` is held by no role: only the gateways'
``IntegrationActor`` (an integrations system with payment grants alone) applies callbacks."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

PAYMENT_VIEW = declare(
    "payments.view",
    _("Lihat pembayaran lewat gateway (VA/QRIS)"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE, R.DIRECTOR),
)
PAYMENT_REQUEST = declare(
    "payments.request",
    _("Buat permintaan pembayaran (VA/QRIS) untuk tagihan"),
    default_roles=(R.SUPERVISOR,),
)
PAYMENT_CALLBACK_APPLY = declare(
    "payments.callback.apply",
    _("Terapkan callback dan status gateway pembayaran (khusus integrasi)"),
)
PAYMENT_CALLBACK_VIEW = declare(
    "payments.callback.view",
    _("Lihat callback mentah gateway pembayaran"),
    default_roles=(R.ADMIN,),
)
PAYMENT_RECONCILE = declare(
    "payments.reconcile",
    _("Rekonsiliasi file settlement gateway dan lihat laporan selisih"),
    default_roles=(R.COMPLIANCE,),
)
