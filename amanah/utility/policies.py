"""Utility (PDAM) permissions (issue 17). The defaults below hold in every profile — ADMIN
keeps the network (areas, SPAM) and the tariffs and runs the billing; SUPERVISOR registers and
takes payments; DIRECTOR reads. The ``pdam`` profile adds its customer service, technician and
finance/cashier grants on top (``core.profiles.PDAM.grants``; docs/architecture-reference.md,
"Deployment profiles"). All editable in the matrix."""

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

# New connections (pasang baru, ``installations/``): customer service registers and prices
# (AGENT/SUPERVISOR), the technician surveys, installs and activates the meter (AGENT in the
# bank profile; the ``pdam`` profile gives it to its technician, RM), finance approves the RAB
# (SUPERVISOR, DIRECTOR, and finance in ``pdam``; never its own author — four eyes), the
# cashier takes payments (PAYMENT_APPLY), a supervisor reverts a wrong step.
INSTALLATION_VIEW = declare(
    "utility.installation.view",
    _("Lihat permohonan sambungan baru cabang sendiri (tahap, RAB, angsuran)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.DIRECTOR),
)
INSTALLATION_APPLY = declare(
    "utility.installation.apply",
    _("Daftarkan permohonan sambungan baru"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
INSTALLATION_FIELD = declare(
    "utility.installation.field",
    _("Catat survei lokasi, pemasangan dan aktivasi meter sambungan baru (teknisi)"),
    default_roles=(R.AGENT,),
)
INSTALLATION_RAB = declare(
    "utility.installation.rab",
    _("Susun RAB sambungan baru, ajukan, dan tetapkan cara bayar / rincian angsuran"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
INSTALLATION_APPROVE = declare(
    "utility.installation.approve",
    _("Setujui RAB sambungan baru (bukan penyusunnya sendiri)"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR),
)
INSTALLATION_REVERT = declare(
    "utility.installation.revert",
    _("Batalkan tahap sambungan baru yang keliru (dengan alasan)"),
    default_roles=(R.SUPERVISOR,),
)

# Area incidents (``incidents/``): complaints about one outage grouped per area and category.
# A supervisor sees the incidents of their branch and resolves them (the affected pelanggan
# are told through the messaging hub); the director reads.
INCIDENT_VIEW = declare(
    "utility.incident.view",
    _("Lihat gangguan wilayah (insiden) cabang sendiri beserta pengaduannya"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR),
)
INCIDENT_MANAGE = declare(
    "utility.incident.manage",
    _("Buka dan selesaikan gangguan wilayah (insiden); pelanggan wilayah diberi tahu"),
    default_roles=(R.SUPERVISOR,),
)
