"""Case permissions (seed 003 Bab 6.3): agents handle their own cases, supervisors the branch."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

CASE_VIEW = declare(
    "case.view", _("Lihat kasus (dalam scope)"), default_roles=(R.AGENT, R.SUPERVISOR)
)
CASE_CREATE = declare(
    "case.create", _("Catat pengaduan / kasus baru"), default_roles=(R.AGENT, R.SUPERVISOR)
)
CASE_UPDATE = declare(
    "case.update",
    _("Tangani kasus: catatan, status, lampiran, jawaban akhir"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
# Complaints are accepted at any office: a customer of another branch, found by an exact
# identifier or phone (shown masked), may have a complaint registered here; the case belongs
# to the receiving branch and is seen by the customer's home branch too.
CASE_INTAKE_ANY_BRANCH = declare(
    "case.create.any_branch",
    _("Catat pengaduan nasabah cabang lain (dicari dengan identitas/telepon persis)"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
# A reply to the customer from the case page goes out through the messaging hub (a template,
# the contact rule); apart from an internal note, which only staff ever read.
CASE_REPLY = declare(
    "case.reply",
    _("Balas nasabah dari halaman kasus (melalui hub pesan, dengan templat)"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
CASE_CLOSE = declare(
    "case.close", _("Tutup kasus (jawaban akhir wajib)"), default_roles=(R.AGENT, R.SUPERVISOR)
)
CASE_ASSIGN = declare(
    "case.assign", _("Tugaskan dan eskalasi kasus"), default_roles=(R.SUPERVISOR,)
)
# Taking a case back from escalation or reopening a resolved one overrides a decision already
# made (by the escalation or the final response): the branch supervisor's call, not the agent's.
CASE_REOPEN = declare(
    "case.reopen",
    _("Buka kembali kasus yang selesai atau ditarik dari eskalasi"),
    default_roles=(R.SUPERVISOR,),
)
CASE_QUEUE = declare("case.queue", _("Antrian SLA cabang"), default_roles=(R.SUPERVISOR,))
CASE_EXPORT = declare("case.export", _("Ekspor daftar kasus (CSV)"), default_roles=(R.SUPERVISOR,))
CASE_ROOT_CAUSE = declare(
    "case.root_cause", _("Tandai akar masalah (RCA)"), default_roles=(R.SUPERVISOR,)
)
# Seed 003 Bab 6.3.5: compliance reads and exports the regulatory complaint report (counts by
# product and channel); the register names complaints one by one (customer masked), so it is a
# permission of its own in the matrix.
OJK_REPORT = declare(
    "case.ojk_report",
    _("Laporan pengaduan OJK (POJK 22/2023): angka per produk dan kanal, ekspor CSV"),
    default_roles=(R.COMPLIANCE,),
)
OJK_REGISTER = declare(
    "case.ojk_register",
    _("Ekspor register pengaduan OJK (CSV, satu baris per pengaduan)"),
    default_roles=(R.COMPLIANCE,),
)
SLA_MANAGE = declare(
    "sla.manage", _("Kelola kategori kasus dan kebijakan SLA"), default_roles=(R.ADMIN,)
)

# Seed 003 Bab 5.4: without this an actor sees only the cases they created or were given
# (agents); with it, every case of the branches in scope (supervisors).
CASE_VIEW_BRANCH = declare(
    "case.view.branch",
    _("Lihat semua kasus cabang dalam scope (tanpa izin ini: hanya kasus sendiri)"),
    default_roles=(R.SUPERVISOR,),
)

# Seed 003 Bab 5.4 Tier-3: sensitive notes (fraud/scam) only for stricter roles. Owned here
# because cases decide what is sensitive (``cases.may_see_sensitive``); the 360 timeline reads it.
TIMELINE_SENSITIVE = declare(
    "timeline.sensitive",
    _("Lihat rincian peristiwa kategori sensitif"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE),
)

# Issue 15: the dashboards' case widgets (counts only, never a person). Two permissions so the
# matrix can show the service figures without the regulatory ones, or the other way round.
CASE_DASHBOARD = declare(
    "case.dashboard",
    _("Dasbor layanan: kepatuhan SLA, backlog, volume pengaduan (angka agregat)"),
    default_roles=(R.DIRECTOR,),
)
CASE_DASHBOARD_OJK = declare(
    "case.dashboard_ojk",
    _("Dasbor: pengaduan lewat hari ke-20 OJK dan perpanjangan (angka agregat)"),
    default_roles=(R.DIRECTOR,),
)

# The complaint classifier's training (``cases.classifier.training``): a new model version,
# scored on the hand-written set, used only when it is not worse. The nightly job acts with it
# (a narrow actor); nobody needs it by hand but an administrator running the command.
CLASSIFIER_TRAIN = declare(
    "case.classifier.train",
    _("Latih ulang model klasifikasi pengaduan"),
    default_roles=(R.ADMIN,),
)
