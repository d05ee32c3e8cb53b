from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every action the audit trail knows (seed 003 Bab 15.3.6 and the foundation's own)."""

    LOGIN = "LOGIN", _("Masuk")
    LOGIN_FAILED = "LOGIN_FAILED", _("Gagal masuk")
    LOCKOUT = "LOCKOUT", _("Akun terkunci")
    LOGOUT = "LOGOUT", _("Keluar")
    SESSION_EXPIRED = "SESSION_EXPIRED", _("Sesi berakhir")
    MFA_ENROL = "MFA_ENROL", _("Daftar MFA")
    MFA_VERIFY = "MFA_VERIFY", _("Verifikasi MFA")
    MFA_FAILED = "MFA_FAILED", _("Gagal MFA")
    SWITCH_ROLE = "SWITCH_ROLE", _("Ganti peran aktif")
    CHANGE_RBAC = "CHANGE_RBAC", _("Ubah matriks izin")
    CREATE_USER = "CREATE_USER", _("Buat pengguna")
    UPDATE_USER = "UPDATE_USER", _("Ubah pengguna")
    DISABLE_USER = "DISABLE_USER", _("Nonaktifkan pengguna")
    ENABLE_USER = "ENABLE_USER", _("Aktifkan pengguna")
    RESET_PASSWORD = "RESET_PASSWORD", _("Setel ulang kata sandi")
    CHANGE_BRANCH = "CHANGE_BRANCH", _("Ubah cabang")
    CREATE_API_TOKEN = "CREATE_API_TOKEN", _("Buat token API")
    REVOKE_API_TOKEN = "REVOKE_API_TOKEN", _("Cabut token API")
    REVEAL_FIELD = "REVEAL_FIELD", _("Buka data termasking")
    EXPORT_AUDIT = "EXPORT_AUDIT", _("Ekspor log audit")
    EXPORT_DATA = "EXPORT_DATA", _("Ekspor data")
    SEARCH_CUSTOMER = "SEARCH_CUSTOMER", _("Cari nasabah")
    VIEW_PROFILE = "VIEW_PROFILE", _("Lihat profil nasabah")
    CHANGE_CONSENT = "CHANGE_CONSENT", _("Ubah persetujuan")
    CREATE_CASE = "CREATE_CASE", _("Buat kasus")
    UPDATE_CASE = "UPDATE_CASE", _("Ubah kasus")
    ASSIGN_CASE = "ASSIGN_CASE", _("Tugaskan kasus")
    ESCALATE_CASE = "ESCALATE_CASE", _("Eskalasi kasus")
    FINAL_RESPONSE = "FINAL_RESPONSE", _("Jawaban akhir")
    CLOSE_CASE = "CLOSE_CASE", _("Tutup kasus")
    CHANGE_WORKFLOW = "CHANGE_WORKFLOW", _("Ubah alur kerja / SLA")
    TRANSITION = "TRANSITION", _("Ubah status (alur kerja)")
    REVERT_TRANSITION = "REVERT_TRANSITION", _("Batalkan perubahan status (alur kerja)")
    CREATE_CUSTOMER = "CREATE_CUSTOMER", _("Buat nasabah")
    UPDATE_CUSTOMER = "UPDATE_CUSTOMER", _("Ubah nasabah")
    ASSIGN_PORTFOLIO = "ASSIGN_PORTFOLIO", _("Atur portofolio RM")
    PROPOSE_MERGE = "PROPOSE_MERGE", _("Usulkan penggabungan")
    APPROVE_MERGE = "APPROVE_MERGE", _("Setujui penggabungan")
    REJECT_MERGE = "REJECT_MERGE", _("Tolak penggabungan")
    DISMISS_DUPLICATE = "DISMISS_DUPLICATE", _("Bukan duplikat")
    RELEASE_PORTFOLIO = "RELEASE_PORTFOLIO", _("Lepas nasabah dari portofolio RM")
    TRANSFER_PORTFOLIO = "TRANSFER_PORTFOLIO", _("Pindahkan portofolio RM (massal)")
    ADD_IDENTIFIER = "ADD_IDENTIFIER", _("Tambah identitas nasabah")
    CORRECT_IDENTIFIER = "CORRECT_IDENTIFIER", _("Koreksi identitas nasabah")
    VERIFY_IDENTIFIER = "VERIFY_IDENTIFIER", _("Verifikasi identitas nasabah")
    REMOVE_IDENTIFIER = "REMOVE_IDENTIFIER", _("Hapus nomor rekening nasabah")
    ADD_RELATION = "ADD_RELATION", _("Tambah relasi nasabah")
    REMOVE_RELATION = "REMOVE_RELATION", _("Hapus relasi nasabah")
    SET_FRAUD_FLAG = "SET_FRAUD_FLAG", _("Pasang tanda fraud nasabah")
    CLEAR_FRAUD_FLAG = "CLEAR_FRAUD_FLAG", _("Cabut tanda fraud nasabah")
    CREATE_SEGMENT = "CREATE_SEGMENT", _("Buat segmen")
    UPDATE_SEGMENT = "UPDATE_SEGMENT", _("Ubah segmen")
    CREATE_CAMPAIGN = "CREATE_CAMPAIGN", _("Buat kampanye")
    SUBMIT_CAMPAIGN = "SUBMIT_CAMPAIGN", _("Ajukan kampanye")
    APPROVE_CAMPAIGN = "APPROVE_CAMPAIGN", _("Setujui kampanye")
    REJECT_CAMPAIGN = "REJECT_CAMPAIGN", _("Tolak kampanye")
    EVALUATE_ELIGIBILITY = "EVALUATE_ELIGIBILITY", _("Cek kelayakan kampanye")
    RECORD_TRANSACTIONS = "RECORD_TRANSACTIONS", _("Catat transaksi nasabah")
    COMPUTE_RFM = "COMPUTE_RFM", _("Hitung RFM nasabah")
    DECIDE_NBA = "DECIDE_NBA", _("Putuskan rekomendasi NBA")
    REFRESH_NBA_PORTFOLIOS = "REFRESH_NBA_PORTFOLIOS", _("Hitung ulang rekomendasi NBA portofolio")
    RECORD_NBA_OUTCOME = "RECORD_NBA_OUTCOME", _("Catat hasil rekomendasi NBA")
    PROPOSE_NBA_RULE = "PROPOSE_NBA_RULE", _("Usulkan perubahan aturan NBA")
    DECIDE_NBA_RULE = "DECIDE_NBA_RULE", _("Putuskan usulan aturan NBA")
    CREATE_RECOVERY = "CREATE_RECOVERY", _("Buat pemulihan layanan")
    MOVE_RECOVERY = "MOVE_RECOVERY", _("Ubah status pemulihan layanan")
    UPDATE_RECOVERY_TRIGGER = "UPDATE_RECOVERY_TRIGGER", _("Ubah aturan pemicu pemulihan layanan")
    CREATE_MERCHANT = "CREATE_MERCHANT", _("Tambah merchant mitra")
    UPDATE_MERCHANT = "UPDATE_MERCHANT", _("Ubah merchant mitra")
    DEACTIVATE_MERCHANT = "DEACTIVATE_MERCHANT", _("Nonaktifkan merchant mitra")
    SEND_MERCHANT_RECOMMENDATION = (
        "SEND_MERCHANT_RECOMMENDATION",
        _("Kirim rekomendasi merchant ke nasabah"),
    )
    MOVE_MERCHANT_RECOMMENDATIONS = (
        "MOVE_MERCHANT_RECOMMENDATIONS",
        _("Ubah status rekomendasi merchant (terkirim, diklik, bertransaksi)"),
    )
    EXECUTE_CAMPAIGN = "EXECUTE_CAMPAIGN", _("Jalankan kampanye")
    CONFIGURE_CAMPAIGN_ABTEST = "CONFIGURE_CAMPAIGN_ABTEST", _("Atur uji A/B kampanye")
    DECIDE_CAMPAIGN_ABTEST = "DECIDE_CAMPAIGN_ABTEST", _("Putuskan uji A/B kampanye")
    ROLLOUT_CAMPAIGN_ABTEST = "ROLLOUT_CAMPAIGN_ABTEST", _("Kirim varian A/B ke sisa audiens")
    DEMO_SEED = "DEMO_SEED", _("Muat data demo")
    CREATE_LEAD = "CREATE_LEAD", _("Buat lead")
    UPDATE_LEAD = "UPDATE_LEAD", _("Ubah lead")
    CLOSE_LEAD = "CLOSE_LEAD", _("Tutup lead")
    CREATE_ACTIVITY = "CREATE_ACTIVITY", _("Catat aktivitas RM")
    CREATE_OPPORTUNITY = "CREATE_OPPORTUNITY", _("Buat peluang")
    UPDATE_OPPORTUNITY = "UPDATE_OPPORTUNITY", _("Ubah peluang")
    FOLLOWUP_DONE = "FOLLOWUP_DONE", _("Tindak lanjut selesai")
    FOLLOWUP_SKIPPED = "FOLLOWUP_SKIPPED", _("Tindak lanjut dilewati")
    CREATE_FOLLOWUP = "CREATE_FOLLOWUP", _("Buat tugas tindak lanjut")
    CREATE_MESSAGE_TEMPLATE = "CREATE_MESSAGE_TEMPLATE", _("Buat templat pesan")
    UPDATE_MESSAGE_TEMPLATE = "UPDATE_MESSAGE_TEMPLATE", _("Ubah draf templat pesan")
    SUBMIT_MESSAGE_TEMPLATE = "SUBMIT_MESSAGE_TEMPLATE", _("Ajukan templat pesan")
    APPROVE_MESSAGE_TEMPLATE = "APPROVE_MESSAGE_TEMPLATE", _("Setujui templat pesan")
    REJECT_MESSAGE_TEMPLATE = "REJECT_MESSAGE_TEMPLATE", _("Tolak templat pesan")
    QUEUE_MESSAGES = "QUEUE_MESSAGES", _("Antrekan pesan")
    DISPATCH_MESSAGES = "DISPATCH_MESSAGES", _("Kirim pesan ke penyedia")
    RETRY_MESSAGE = "RETRY_MESSAGE", _("Kirim ulang pesan gagal")
    RECEIVE_MESSAGE = "RECEIVE_MESSAGE", _("Terima pesan masuk")
    PURGE_PARKED_CALLBACKS = "PURGE_PARKED_CALLBACKS", _("Hapus callback status yang tak bertuan")
    PUSH_SUBSCRIBE = "PUSH_SUBSCRIBE", _("Berlangganan notifikasi push")
    PUSH_UNSUBSCRIBE = "PUSH_UNSUBSCRIBE", _("Berhenti berlangganan notifikasi push")
    UPLOAD_TEMPLATE_MEDIA = "UPLOAD_TEMPLATE_MEDIA", _("Unggah media templat WhatsApp")
    WITHDRAW_TEMPLATE_MEDIA = "WITHDRAW_TEMPLATE_MEDIA", _("Tarik media templat WhatsApp")
    UPLOAD_DOCUMENT = "UPLOAD_DOCUMENT", _("Unggah dokumen / versi")
    DOWNLOAD_DOCUMENT = "DOWNLOAD_DOCUMENT", _("Unduh dokumen")
    ISSUE_DOCUMENT = "ISSUE_DOCUMENT", _("Terbitkan dokumen buatan sistem")
    SIGN_DOCUMENT = "SIGN_DOCUMENT", _("Tandatangani dokumen")
    VERIFY_DOCUMENT_SIGNATURE = "VERIFY_DOCUMENT_SIGNATURE", _("Periksa tanda tangan dokumen")
    ROTATE_DOCUMENT_KEYS = "ROTATE_DOCUMENT_KEYS", _("Rotasi kunci induk dokumen")
    PURGE_DOCUMENT = "PURGE_DOCUMENT", _("Musnahkan dokumen (masa retensi habis)")
    PURGE_DOCUMENT_FILES = "PURGE_DOCUMENT_FILES", _("Hapus berkas dokumen tanpa versi")
    LEGAL_HOLD_DOCUMENT = "LEGAL_HOLD_DOCUMENT", _("Tahan dokumen (legal hold)")
    RELEASE_LEGAL_HOLD_DOCUMENT = "RELEASE_LEGAL_HOLD_DOCUMENT", _("Lepas legal hold dokumen")
    ENROL_FOLLOWUP_MEMBER = "ENROL_FOLLOWUP_MEMBER", _("Daftarkan member tindak lanjut")
    ROTATE_FOLLOWUP_MEMBER = "ROTATE_FOLLOWUP_MEMBER", _("Rotasi member tindak lanjut")
    RECORD_FOLLOWUP_DEPOSIT = "RECORD_FOLLOWUP_DEPOSIT", _("Catat setoran member tindak lanjut")
    LOG_FOLLOWUP = "LOG_FOLLOWUP", _("Catat tindak lanjut member")
    CHANGE_FOLLOWUP_DESK = "CHANGE_FOLLOWUP_DESK", _("Ubah agen meja tindak lanjut")
    EXIT_FOLLOWUP_MEMBER = "EXIT_FOLLOWUP_MEMBER", _("Member keluar dari meja tindak lanjut")
    SEND_FOLLOWUP_REPORT = "SEND_FOLLOWUP_REPORT", _("Kirim laporan harian meja tindak lanjut")
    CREATE_EXTERNAL_SYSTEM = "CREATE_EXTERNAL_SYSTEM", _("Daftarkan sistem eksternal")
    CREATE_SYSTEM_KEY = "CREATE_SYSTEM_KEY", _("Buat kunci API sistem")
    ROTATE_SYSTEM_KEY = "ROTATE_SYSTEM_KEY", _("Rotasi kunci API sistem")
    REVOKE_SYSTEM_KEY = "REVOKE_SYSTEM_KEY", _("Cabut kunci API sistem")
    SYSTEM_KEY_REFUSED = "SYSTEM_KEY_REFUSED", _("Kunci API sistem ditolak")
    RECEIVE_INTAKE = "RECEIVE_INTAKE", _("Terima pesan masuk untuk kasus")
    LINK_INTAKE = "LINK_INTAKE", _("Tautkan pesan masuk ke nasabah")
    CREATE_WEBHOOK = "CREATE_WEBHOOK", _("Buat langganan webhook sistem eksternal")
    DELIVER_WEBHOOKS = "DELIVER_WEBHOOKS", _("Kirim webhook ke sistem eksternal")
    DISABLE_WEBHOOK = "DISABLE_WEBHOOK", _("Nonaktifkan langganan webhook")
    RETRY_WEBHOOK_DELIVERY = "RETRY_WEBHOOK_DELIVERY", _("Coba lagi pengiriman webhook")
    SET_SYNC_SCHEDULE = "SET_SYNC_SCHEDULE", _("Atur batas senyap sistem eksternal")
    IMPORT_UPLOAD = "IMPORT_UPLOAD", _("Unggah batch impor")
    IMPORT_MAPPING = "IMPORT_MAPPING", _("Atur pemetaan kolom impor")
    IMPORT_DRY_RUN = "IMPORT_DRY_RUN", _("Uji coba batch impor")
    IMPORT_RUN = "IMPORT_RUN", _("Jalankan batch impor")
    IMPORT_DOWNLOAD = "IMPORT_DOWNLOAD", _("Unduh hasil batch impor")
    BREAK_GLASS_REQUEST = "BREAK_GLASS_REQUEST", _("Minta akses darurat (break-glass)")
    BREAK_GLASS_EMERGENCY = "BREAK_GLASS_EMERGENCY", _("Buka akses darurat seketika")
    BREAK_GLASS_APPROVE = "BREAK_GLASS_APPROVE", _("Setujui akses darurat")
    BREAK_GLASS_REJECT = "BREAK_GLASS_REJECT", _("Tolak akses darurat")
    BREAK_GLASS_REVIEW = "BREAK_GLASS_REVIEW", _("Tinjau akses darurat")
    BREAK_GLASS_ACCESS = "BREAK_GLASS_ACCESS", _("Buka nasabah lewat akses darurat")
    CREATE_ARTICLE = "CREATE_ARTICLE", _("Buat artikel pengetahuan")
    CREATE_ARTICLE_VERSION = "CREATE_ARTICLE_VERSION", _("Buka versi baru artikel pengetahuan")
    UPDATE_ARTICLE = "UPDATE_ARTICLE", _("Ubah draf artikel pengetahuan")
    SEND_SURVEY = "SEND_SURVEY", _("Kirim undangan survei")
    RECORD_SURVEY_RESPONSE = "RECORD_SURVEY_RESPONSE", _("Catat jawaban survei nasabah")
    DSAR_EXPORT = "DSAR_EXPORT", _("Buat ekspor data subjek (UU PDP)")
    DSAR_DOWNLOAD = "DSAR_DOWNLOAD", _("Unduh ekspor data subjek (UU PDP)")
    REQUEST_CORRECTION = "REQUEST_CORRECTION", _("Catat permintaan koreksi data (UU PDP)")
    APPLY_CORRECTION = "APPLY_CORRECTION", _("Setujui dan terapkan koreksi data (UU PDP)")
    REJECT_CORRECTION = "REJECT_CORRECTION", _("Tolak permintaan koreksi data (UU PDP)")
    RECORD_BREACH = "RECORD_BREACH", _("Catat insiden kegagalan pelindungan data pribadi")
    NOTIFY_BREACH = "NOTIFY_BREACH", _("Catat pemberitahuan insiden data pribadi")
    CLOSE_BREACH = "CLOSE_BREACH", _("Tutup insiden data pribadi")
    ANONYMISE_CUSTOMER = "ANONYMISE_CUSTOMER", _("Anonimkan data nasabah (retensi)")
    POST_JOURNAL = "POST_JOURNAL", _("Catat jurnal")
    REVERSE_JOURNAL = "REVERSE_JOURNAL", _("Catat jurnal pembalik")
    CLOSE_LEDGER_PERIOD = "CLOSE_LEDGER_PERIOD", _("Tutup periode akuntansi")
    REOPEN_LEDGER_PERIOD = "REOPEN_LEDGER_PERIOD", _("Buka kembali periode akuntansi")
    CHANGE_LEDGER_ACCOUNT = "CHANGE_LEDGER_ACCOUNT", _("Ubah bagan akun")
    CREATE_JOURNEY = "CREATE_JOURNEY", _("Buat journey pemasaran")
    UPDATE_JOURNEY = "UPDATE_JOURNEY", _("Ubah graf journey pemasaran")
    CREATE_JOURNEY_VERSION = "CREATE_JOURNEY_VERSION", _("Buka versi baru journey")
    SUBMIT_JOURNEY = "SUBMIT_JOURNEY", _("Ajukan journey")
    APPROVE_JOURNEY = "APPROVE_JOURNEY", _("Setujui journey")
    REJECT_JOURNEY = "REJECT_JOURNEY", _("Tolak journey")
    MOVE_JOURNEY = "MOVE_JOURNEY", _("Ubah status journey")
    ADVANCE_JOURNEYS = "ADVANCE_JOURNEYS", _("Majukan peserta journey")
    ENROL_JOURNEY = "ENROL_JOURNEY", _("Daftarkan nasabah ke journey")
    TAG_CUSTOMERS = "TAG_CUSTOMERS", _("Beri tag nasabah (journey)")
    PROMOTE_JOURNEY_VARIANT = "PROMOTE_JOURNEY_VARIANT", _("Terapkan pemenang uji A/B journey")
    RETRY_JOURNEY_ENROLLMENT = (
        "RETRY_JOURNEY_ENROLLMENT",
        _("Ulangi langkah journey dari karantina"),
    )
    END_JOURNEY_ENROLLMENT = "END_JOURNEY_ENROLLMENT", _("Akhiri peserta journey dari karantina")
    REQUEST_PAYMENT = "REQUEST_PAYMENT", _("Buat permintaan pembayaran gateway")
    APPLY_PAYMENT_STATUS = "APPLY_PAYMENT_STATUS", _("Terapkan status pembayaran dari gateway")
    RECONCILE_PAYMENTS = "RECONCILE_PAYMENTS", _("Rekonsiliasi file settlement gateway")
    CHANGE_UTILITY_NETWORK = "CHANGE_UTILITY_NETWORK", _("Ubah wilayah layanan / SPAM")
    CHANGE_TARIFF = "CHANGE_TARIFF", _("Ubah golongan / blok tarif air")
    CREATE_CONNECTION = "CREATE_CONNECTION", _("Daftarkan sambungan pelanggan air")
    CHANGE_CONNECTION_STATUS = "CHANGE_CONNECTION_STATUS", _("Ubah status sambungan pelanggan")
    RECORD_METER_READINGS = "RECORD_METER_READINGS", _("Catat angka meter pelanggan")
    RUN_BILLING = "RUN_BILLING", _("Jalankan penagihan rekening air")
    APPLY_WATER_PAYMENT = "APPLY_WATER_PAYMENT", _("Catat pembayaran rekening air")
    APPLY_INSTALLATION = "APPLY_INSTALLATION", _("Daftarkan permohonan sambungan baru")
    MOVE_INSTALLATION = "MOVE_INSTALLATION", _("Ubah tahap sambungan baru")
    SAVE_RAB = "SAVE_RAB", _("Susun RAB sambungan baru")
    BILL_RAB = "BILL_RAB", _("Tetapkan cara bayar dan tagih RAB sambungan baru")
    APPLY_RAB_PAYMENT = "APPLY_RAB_PAYMENT", _("Catat pembayaran RAB / angsuran sambungan baru")
    ASSESS_LATE_FEES = "ASSESS_LATE_FEES", _("Hitung denda keterlambatan angsuran")
    GENERATE_WORK_ORDERS = "GENERATE_WORK_ORDERS", _("Bangkitkan work order dari tunggakan")
    ASSIGN_WORK_ORDERS = "ASSIGN_WORK_ORDERS", _("Tugaskan work order ke petugas (massal)")
    CREATE_WORK_ORDER = "CREATE_WORK_ORDER", _("Buat work order kunjungan")
    REASSIGN_WORK_ORDER = "REASSIGN_WORK_ORDER", _("Alihkan work order ke petugas lain")
    MOVE_WORK_ORDER = "MOVE_WORK_ORDER", _("Ubah status work order")
    VISIT_CONFLICT = "VISIT_CONFLICT", _("Simpan hasil kunjungan sebagai konflik")
    SETTLE_VISIT_CONFLICT = "SETTLE_VISIT_CONFLICT", _("Selesaikan konflik hasil kunjungan")
    RETRAIN_CLASSIFIER = "RETRAIN_CLASSIFIER", _("Latih ulang pengklasifikasi keluhan")
    OPEN_AREA_INCIDENT = "OPEN_AREA_INCIDENT", _("Buka gangguan wilayah (insiden)")
    MOVE_AREA_INCIDENT = "MOVE_AREA_INCIDENT", _("Ubah status gangguan wilayah (insiden)")
    ACCEPT_COORDINATE_CORRECTION = (
        "ACCEPT_COORDINATE_CORRECTION",
        _("Terima koreksi koordinat pelanggan"),
    )
    REJECT_COORDINATE_CORRECTION = (
        "REJECT_COORDINATE_CORRECTION",
        _("Tolak koreksi koordinat pelanggan"),
    )


# A batch row (``audit.record_batch``): one event about many objects of one type, e.g. every case
# one batch of an SLA catch-up escalated. Its object id is this marker, the objects' ids are in
# ``meta[BATCH_OBJECTS_KEY]``, and the trail finds it by any of them
# (``audit.selectors.rows_about``, on the partial GIN index ``audit_batch_objects``).
BATCH_OBJECT_ID = "*"
BATCH_OBJECTS_KEY = "objects"


class AuditLog(models.Model):
    """One audited action. Append-only: PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE.

    Rows form a keyed chain (``hash = HMAC(AUDIT_CHAIN_KEY, prev_hash || canonical row)``, see
    ``amanah.audit.chain``) written under an advisory lock, with signed checkpoints outside the
    database, so ``amanah audit verify`` finds any edit, deletion, reordering, truncated tail or
    recomputed chain. The application's database role may only INSERT and SELECT this table.
    Actor and object are stored as text, never as foreign keys, so no cascade can touch it.
    """

    created_at = models.DateTimeField()
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    meta = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    # Not unique: nothing looks a row up by its hash, the chain itself is the integrity check
    # (verify_chain), and two random-order indexes (unique + LIKE) cost every write of the
    # trail (an SLA catch-up writes 320,000 rows; docs/benchmarks.md).
    hash = models.CharField(max_length=64)

    class Meta:
        # Chain order: every read that does not choose its own order sees the trail as written.
        ordering = ["id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor_username", "-created_at"], name="audit_actor_time"),
            models.Index(fields=["-created_at"], name="audit_time"),
            GinIndex(
                KeyTransform(BATCH_OBJECTS_KEY, "meta"),
                name="audit_batch_objects",
                condition=Q(object_id=BATCH_OBJECT_ID),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.action} {self.object_type}:{self.object_id}"
