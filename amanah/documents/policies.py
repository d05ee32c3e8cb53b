"""Document permissions (seed 000 §4). Which roles may approve a document type is the
permission that type names (``doctypes.DocumentType.approve_permission``), granted in the matrix."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

DOCUMENT_VIEW = declare(
    "document.view",
    _("Lihat dokumen (mengikuti scope pemiliknya)"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.COMPLIANCE, R.DIRECTOR),
)
DOCUMENT_UPLOAD = declare(
    "document.upload",
    _("Unggah dokumen dan versi baru, ajukan persetujuan"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM),
)
DOCUMENT_DECIDE = declare(
    "document.decide",
    _("Putuskan persetujuan dokumen (setujui / tolak), sesuai jenisnya"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR, R.COMPLIANCE),
)
DOCUMENT_APPROVE = declare(
    "document.approve",
    _("Setujui / tolak dokumen umum (empat mata)"),
    default_roles=(R.SUPERVISOR,),
)
DOCUMENT_APPROVE_CONTRACT = declare(
    "document.approve_contract",
    _("Setujui / tolak kontrak, SPK dan RAB"),
    default_roles=(R.SUPERVISOR, R.DIRECTOR),
)
DOCUMENT_APPROVE_SENSITIVE = declare(
    "document.approve_sensitive",
    _("Setujui / tolak dokumen identitas dan formulir persetujuan"),
    default_roles=(R.COMPLIANCE, R.SUPERVISOR),
)
DOCUMENT_REVERT = declare(
    "document.revert",
    _("Batalkan keputusan persetujuan dokumen (dengan alasan)"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE),
)
DOCUMENT_SIGN = declare(
    "document.sign",
    _("Tandatangani PDF dengan sertifikat organisasi"),
    default_roles=(R.SUPERVISOR,),
)
DOCUMENT_LEGAL_HOLD = declare(
    "document.legal_hold",
    _("Tahan dokumen dari pemusnahan retensi (legal hold) dan melepasnya"),
    # Compliance for what it sees; supervisors for their branch's case evidence (compliance
    # does not see cases by default). The matrix decides.
    default_roles=(R.COMPLIANCE, R.SUPERVISOR),
)
