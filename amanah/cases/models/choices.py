"""The codes of cases (each with its Indonesian label): priorities, channels, statuses,
time units, root causes, activity and note kinds, routing strategies, the classifier's
suggestion statuses and reasons."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

FINAL_RESPONSE_MIN_LENGTH = 20


class Priority(models.TextChoices):
    LOW = "LOW", _("Rendah")
    MEDIUM = "MEDIUM", _("Sedang")
    HIGH = "HIGH", _("Tinggi")
    CRITICAL = "CRITICAL", _("Kritis")


class Channel(models.TextChoices):
    BRANCH = "BRANCH", _("Kantor cabang")
    CALL_CENTER = "CALL_CENTER", _("Call center")
    MOBILE = "MOBILE", _("Mobile banking")
    EMAIL = "EMAIL", _("Email")
    WHATSAPP = "WHATSAPP", _("WhatsApp")


class CaseStatus(models.TextChoices):
    NEW = "NEW", _("Baru")
    IN_PROGRESS = "IN_PROGRESS", _("Diproses")
    WAITING_INFO = "WAITING_INFO", _("Menunggu info nasabah")
    ESCALATED = "ESCALATED", _("Dieskalasi")
    RESOLVED = "RESOLVED", _("Selesai (jawaban akhir)")
    CLOSED = "CLOSED", _("Ditutup")
    # Closed without an answer of its own: the same complaint is handled in ``duplicate_of``.
    # Not counted as a complaint in the OJK figures (``cases.ojk``).
    CANCELLED = "CANCELLED", _("Dibatalkan (duplikat)")


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING_INFO,
    CaseStatus.ESCALATED,
)


class TimeUnit(models.TextChoices):
    HOURS = "HOURS", _("jam kerja")
    DAYS = "DAYS", _("hari kerja")


class RootCause(models.TextChoices):
    SYSTEM_BUG = "SYSTEM_BUG", _("Gangguan sistem")
    PROCESS_GAP = "PROCESS_GAP", _("Celah proses")
    HUMAN_ERROR = "HUMAN_ERROR", _("Kesalahan petugas")
    EXTERNAL = "EXTERNAL", _("Pihak eksternal")


class ActivityType(models.TextChoices):
    NOTE = "NOTE", _("Catatan internal")  # staff only: never shown to the customer
    # A reply sent to the customer through the messaging hub (``messaging.case_replies``):
    # what the customer was told, on which channel; the message itself is on the Komunikasi tab.
    REPLY = "REPLY", _("Balasan ke nasabah")
    ASSIGN = "ASSIGN", _("Penugasan")
    ESCALATE = "ESCALATE", _("Eskalasi")
    STATUS_CHANGE = "STATUS_CHANGE", _("Perubahan status")
    ATTACHMENT = "ATTACHMENT", _("Lampiran")
    FINAL_RESPONSE = "FINAL_RESPONSE", _("Jawaban akhir")
    SLA = "SLA", _("SLA")
    EXTENSION = "EXTENSION", _("Perpanjangan")
    # A message to the customer about the case that was not sent (``cases.notice_log``).
    NOTICE = "NOTICE", _("Pemberitahuan nasabah")
    # The complaint classifier's suggestion, applied or shown (``cases.classifier``), and an
    # agent's decision on it.
    CLASSIFY = "CLASSIFY", _("Klasifikasi")
    # A note the system writes (e.g. an area incident resolved, ``utility.incidents``): for
    # the record, never a response to the customer (``sla.is_first_response``).
    SYSTEM_NOTE = "SYSTEM_NOTE", _("Catatan sistem")


class NoteKind(models.TextChoices):
    """Who a note on a case comes from (``case_add_note``); not stored as such — a SYSTEM note
    is logged as SYSTEM_NOTE, the others as NOTE (a customer's with ``meta.kind``)."""

    STAFF = "STAFF", _("Petugas")  # a member of staff working on the case
    CUSTOMER = "CUSTOMER", _("Nasabah")  # the customer's own message, filed by the intake
    SYSTEM = "SYSTEM", _("Sistem")  # an annotation the system writes


class RoutingStrategy(models.TextChoices):
    ROUND_ROBIN = "ROUND_ROBIN", _("Bergiliran (round robin)")
    LEAST_LOADED = "LEAST_LOADED", _("Beban paling ringan")


class SuggestionStatus(models.TextChoices):
    AUTO = "AUTO", _("Diterapkan otomatis")  # confidence at or above the threshold
    PENDING = "PENDING", _("Menunggu keputusan petugas")  # shown on the case page, with why
    # No model yet (or none readable): the case waits for the training job, which suggests.
    WAITING = "WAITING", _("Menunggu model klasifikasi")
    ACCEPTED = "ACCEPTED", _("Diterima petugas")
    CORRECTED = "CORRECTED", _("Dikoreksi petugas")
    MANUAL = "MANUAL", _("Dipilih petugas")  # at intake, or before any suggestion existed


class SuggestionReason(models.TextChoices):
    """Why the system did not set the category itself (shown on the case page)."""

    LOW_CONFIDENCE = "LOW_CONFIDENCE", _("Keyakinan di bawah ambang penerapan otomatis")
    HUMAN_ONLY = "HUMAN_ONLY", _("Kategori ini selalu diputuskan petugas")
    FRAUD_SIGNS = "FRAUD_SIGNS", _("Tanda penipuan mengatasnamakan PDAM")
    MISCONDUCT_SIGNS = "MISCONDUCT_SIGNS", _("Tanda pengaduan perilaku petugas")
    NO_WORDS = "NO_WORDS", _("Kronologi tanpa kata yang dapat dinilai")
    NO_MODEL = "NO_MODEL", _("Model klasifikasi belum tersedia")
