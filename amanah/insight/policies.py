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
NBA_VIEW = declare(
    "insight.nba.view",
    _("Lihat rekomendasi aksi berikutnya (NBA) di Customer 360"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
NBA_PORTFOLIO_VIEW = declare(
    "insight.nba.portfolio",
    _("Lihat daftar rekomendasi NBA untuk nasabah portofolio sendiri"),
    default_roles=(R.RM,),
)
NBA_PORTFOLIO_REFRESH = declare(
    "insight.nba.portfolio_refresh",
    _("Hitung ulang rekomendasi NBA semua portofolio (tugas malam)"),
    default_roles=(),
)
NBA_DECIDE = declare(
    "insight.nba.decide",
    _("Terima, tolak atau tunda rekomendasi NBA dan catat hasilnya"),
    default_roles=(R.SUPERVISOR, R.RM),
)
NBA_RULE_VIEW = declare(
    "insight.nba_rule.view",
    _("Lihat aturan NBA dan usulan perubahannya"),
    default_roles=(R.SUPERVISOR, R.MARKETING, R.ADMIN),
)
NBA_DASHBOARD = declare(
    "insight.nba.dashboard",
    _("Dasbor tingkat penerimaan dan keberhasilan NBA per jenis aksi (angka agregat)"),
    default_roles=(R.DIRECTOR, R.MARKETING),
)
NBA_RULE_PROPOSE = declare(
    "insight.nba_rule.propose",
    _("Usulkan perubahan aturan NBA"),
    default_roles=(R.MARKETING,),
)
NBA_RULE_APPROVE = declare(
    "insight.nba_rule.approve",
    _("Setujui atau tolak usulan aturan NBA (empat mata: bukan pengusulnya)"),
    default_roles=(R.SUPERVISOR, R.MARKETING),
)
# Service recovery (seed 001 §3). Which recoveries: those of the cases the actor may see.
RECOVERY_VIEW = declare(
    "insight.recovery.view",
    _("Lihat pemulihan layanan (service recovery) kasus"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
RECOVERY_SEND = declare(
    "insight.recovery.send",
    _("Kirim pemulihan layanan dan catat klaim atau kedaluwarsanya"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
RECOVERY_APPROVE = declare(
    "insight.recovery.approve",
    _("Setujui pemulihan layanan di atas batas nilai (empat mata: bukan pengusulnya)"),
    default_roles=(R.SUPERVISOR,),
)
RECOVERY_DASHBOARD = declare(
    "insight.recovery.dashboard",
    _("Dasbor pemulihan layanan: tingkat pemulihan dan penebusan (angka agregat)"),
    default_roles=(R.DIRECTOR,),
)
# The trigger table itself (which offer, its value, on or off): an admin's change, audited.
RECOVERY_TRIGGER_MANAGE = declare(
    "insight.recovery.triggers",
    _("Kelola aturan pemicu pemulihan layanan (tawaran, nilai, aktif)"),
    default_roles=(R.ADMIN,),
)
# Hyperlocal merchants (seed 001 §2). The partners are not customer data: everyone with the
# permission sees all of them; recommendations follow their customer's scope.
MERCHANT_VIEW = declare(
    "insight.merchant.view",
    _("Lihat daftar merchant mitra (QRIS) dan promonya"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.MARKETING),
)
MERCHANT_MANAGE = declare(
    "insight.merchant.manage",
    _("Tambah, ubah dan nonaktifkan merchant mitra"),
    default_roles=(R.MARKETING,),
)
MERCHANT_RECOMMEND = declare(
    "insight.merchant.recommend",
    _("Lihat promo merchant terdekat untuk nasabah dan kirim rekomendasinya"),
    default_roles=(R.SUPERVISOR, R.RM),
)
MERCHANT_DASHBOARD = declare(
    "insight.merchant.dashboard",
    _("Dasbor konversi rekomendasi merchant per merchant dan kota (angka agregat)"),
    default_roles=(R.DIRECTOR, R.MARKETING),
)
