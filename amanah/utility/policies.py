"""Utility (PDAM) permissions (issue 17). The defaults below hold in every profile — ADMIN
keeps the network (areas, SPAM) and the tariffs and runs the billing; SUPERVISOR registers and
takes payments; DIRECTOR reads. The ``pdam`` profile adds its customer service, technician and
finance/cashier grants on top (``core.profiles.PDAM.grants``, docs/architecture.md). All
editable in the matrix."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

NETWORK_VIEW = declare(
    "utility.network.view",
    _("Lihat wilayah layanan dan SPAM (cakupan, utilisasi)"),
    default_roles=(R.ADMIN, R.DIRECTOR, R.SUPERVISOR),
)
NETWORK_MANAGE = declare(
    "utility.network.manage",
    _("Kelola wilayah layanan dan SPAM"),
    default_roles=(R.ADMIN,),
)
CONNECTION_VIEW = declare(
    "utility.connection.view",
    _("Lihat pelanggan air (sambungan) cabang sendiri, tagihan dan umur tunggakan"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.DIRECTOR),
)
CONNECTION_MANAGE = declare(
    "utility.connection.manage",
    _("Daftarkan sambungan pelanggan dan ubah statusnya"),
    default_roles=(R.SUPERVISOR,),
)
TARIFF_VIEW = declare(
    "utility.tariff.view",
    _("Lihat golongan tarif dan blok tarif air"),
    default_roles=(R.ADMIN, R.DIRECTOR, R.SUPERVISOR),
)
TARIFF_MANAGE = declare(
    "utility.tariff.manage",
    _("Kelola golongan tarif, blok tarif dan abonemen"),
    default_roles=(R.ADMIN,),
)
READING_RECORD = declare(
    "utility.reading.record",
    _("Catat / impor angka meter pelanggan"),
    default_roles=(R.ADMIN, R.SUPERVISOR),
)
BILLING_RUN = declare(
    "utility.billing.run",
    _("Jalankan penagihan rekening air bulanan (dan jurnalnya)"),
    default_roles=(R.ADMIN,),
)
PAYMENT_APPLY = declare(
    "utility.payment.apply",
    _("Catat pembayaran rekening air (alokasi ke tagihan terlama, kelebihan jadi saldo)"),
    default_roles=(R.SUPERVISOR,),
)
