"""The demo's message templates (loaded by ``amanah.demo``): a case receipt by email and
WhatsApp, a case status update and final response, the survey invitation (CSAT/CES/NPS, by
email and WhatsApp), the follow-up desk's WhatsApp reminder (COLLECTION), a campaign offer
for every channel a campaign sends on (email, WhatsApp, SMS), and the SLA digest to staff (one
per run and step: warnings, breaches or OJK day-20 flags).

The SERVICE and STAFF ones (receipt, status update, final response, survey invitation, SLA
digest) are every installation's defaults: ``template_defaults`` installs them after each
``amanah migrate`` under its integration actor. The offers and the follow-up reminder
(COLLECTION: four eyes) are the demo's only (``seed_templates``, below); a deployment writes
and approves its own.

In the demo, written and decided through the ordinary services: the marketing user writes the
missing ones, approves the SERVICE and STAFF ones herself (allowed, see ``template_services``)
and the compliance user approves the offers (four eyes). Keys are what the senders ask
``approved_version`` for.
"""

from __future__ import annotations

from amanah.messaging import template_services as ts
from amanah.messaging.models import MessageTemplate

RECEIPT_HTML = """<p>Yth. {{customer.full_name}},</p>
<p>Pengaduan Anda telah kami terima dengan nomor <strong>{{case.case_no}}</strong>.
Kami akan menyelesaikannya paling lambat <strong>{{case.due_at}}</strong>.</p>
<p>Tanda terima terlampir (PDF). Simpan nomor pengaduan untuk menanyakan perkembangannya.</p>"""

SEEDS: list[dict] = [
    # Insight's Next Best Action on Accept (issue 13): the anti-scam education and the
    # birthday greeting go out through the hub as SERVICE messages (no marketing consent
    # needed, contactability still asked by the outbox).
    {
        "key": "insight.nba_educate",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Edukasi anti-scam (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "nba_anti_scam",
        "text": "Halo {{customer.first_name}}, waspada penipuan: petugas kami tidak pernah "
        "meminta PIN, OTP atau kata sandi. Bila ragu, hubungi kantor cabang kami.",
    },
    {
        # Service recovery (issue 13) sent: the offer itself is told by the branch; the
        # message names the case and that something is coming.
        "key": "insight.recovery_offer",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Pemulihan layanan (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "service_recovery",
        "text": "Halo {{customer.first_name}}, kami mohon maaf atas kendala pada pengaduan "
        "{{case.case_no}}. Sebagai permohonan maaf kami menyiapkan kompensasi untuk Anda; "
        "petugas cabang akan menghubungi Anda untuk rinciannya.",
    },
    {
        "key": "insight.nba_greet",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Ucapan ulang tahun (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "nba_birthday",
        "text": "Selamat ulang tahun, {{customer.first_name}}! Terima kasih telah menjadi "
        "nasabah setia kami.",
    },
    {
        "key": "case.receipt",
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "name": "Tanda terima pengaduan (email)",
        "subject": "Tanda terima pengaduan {{case.case_no}}",
        "text": "Yth. {{customer.full_name}},\n\nPengaduan Anda telah kami terima dengan nomor "
        "{{case.case_no}}. Kami akan menyelesaikannya paling lambat {{case.due_at}}.\n"
        "Tanda terima terlampir (PDF).",
        "html": RECEIPT_HTML,
    },
    {
        "key": "case.receipt",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Tanda terima pengaduan (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "case_receipt",
        "text": "Halo {{customer.first_name}}, pengaduan Anda kami terima dengan nomor "
        "{{case.case_no}}. Target selesai: {{case.due_at}}. Tanda terima PDF terlampir.",
    },
    {
        "key": "case.status_update",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Kabar status pengaduan (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "case_status_update",
        "text": "Halo {{customer.first_name}}, status pengaduan {{case.case_no}} kini: "
        "{{case.status}}. Terima kasih atas kesabaran Anda.",
    },
    {
        "key": "case.status_update",
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "name": "Kabar status pengaduan (email)",
        "subject": "Status pengaduan {{case.case_no}}: {{case.status}}",
        "text": "Yth. {{customer.full_name}},\n\nStatus pengaduan {{case.case_no}} kini: "
        "{{case.status}}.\nTerima kasih atas kesabaran Anda.",
    },
    {
        "key": "case.resolved",
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "name": "Jawaban akhir pengaduan (email)",
        "subject": "Jawaban atas pengaduan {{case.case_no}}",
        "text": "Yth. {{customer.full_name}},\n\nPengaduan {{case.case_no}} telah kami "
        "selesaikan dengan jawaban berikut:\n\n{{case.final_response}}\n\n"
        "Bila Anda belum puas, hubungi kami dengan menyebut nomor pengaduan ini.",
    },
    {
        "key": "case.resolved",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Jawaban akhir pengaduan (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "case_resolved",
        "text": "Halo {{customer.first_name}}, pengaduan {{case.case_no}} telah diselesaikan: "
        "{{case.final_response}}",
    },
    {
        # A reply from the case page (issue 16): the agent's text is {{reply.text}}.
        "key": "case.reply",
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "name": "Balasan petugas atas pengaduan (email)",
        "subject": "Tanggapan atas pengaduan {{case.case_no}}",
        "text": "Yth. {{customer.full_name}},\n\nTerkait pengaduan {{case.case_no}}:\n\n"
        "{{reply.text}}\n\nBalas email ini atau hubungi kami dengan menyebut nomor pengaduan.",
    },
    {
        "key": "case.reply",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Balasan petugas atas pengaduan (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "case_reply",
        "text": "Halo {{customer.first_name}}, terkait pengaduan {{case.case_no}}: {{reply.text}}",
    },
    {
        "key": "case.reply",
        "channel": "SMS",
        "purpose": "SERVICE",
        "name": "Balasan petugas atas pengaduan (SMS)",
        "text": "Pengaduan {{case.case_no}}: {{reply.text}}",
    },
    {
        "key": "survey.invitation",
        "channel": "EMAIL",
        "purpose": "SERVICE",
        "name": "Undangan survei (email)",
        "subject": "{{customer.first_name}}, bagaimana pengalaman Anda?",
        "text": "Halo {{customer.first_name}},\n\n{{survey.question}}\n"
        "Jawab dalam satu menit melalui tautan pribadi ini (berlaku sekali):\n{{survey.url}}\n\n"
        "Terima kasih atas masukan Anda.",
    },
    {
        "key": "survey.invitation",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Undangan survei (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "survey_invitation",
        "text": "Halo {{customer.first_name}}, {{survey.question}} Jawab melalui tautan "
        "pribadi ini (berlaku sekali): {{survey.url}}",
    },
    {
        # The follow-up desk's WhatsApp (issue 20): COLLECTION, so four eyes and the
        # collection contact window and caps apply.
        "key": "followup.reminder",
        "channel": "WHATSAPP",
        "purpose": "COLLECTION",
        "name": "Pengingat setoran meja tindak lanjut (WhatsApp)",
        "category": "UTILITY",
        "provider_template": "followup_reminder",
        "text": "Halo {{customer.first_name}}, kami menghubungi Anda tentang setoran pada "
        "rekening Anda. Balas pesan ini atau datang ke kantor cabang terdekat bila Anda "
        "membutuhkan bantuan.",
    },
    {
        "key": "campaign.offer",
        "channel": "EMAIL",
        "purpose": "OFFER",
        "name": "Penawaran kampanye (email)",
        "subject": "{{customer.first_name}}, ada penawaran {{campaign.name}} untuk Anda",
        "text": "Halo {{customer.first_name}},\n\n{{campaign.name}} kini tersedia untuk Anda. "
        "Gunakan kode {{promo.code}} di kantor cabang atau aplikasi.\n\n"
        "Tidak ingin menerima penawaran lagi? Gunakan tautan berhenti berlangganan di bawah.",
        "html": "<p>Halo {{customer.first_name}},</p><p><strong>{{campaign.name}}</strong> kini "
        "tersedia untuk Anda. Gunakan kode <strong>{{promo.code}}</strong> di kantor cabang "
        "atau aplikasi.</p>",
    },
    {
        "key": "campaign.offer",
        "channel": "WHATSAPP",
        "purpose": "OFFER",
        "name": "Penawaran kampanye (WhatsApp)",
        "category": "MARKETING",
        "provider_template": "campaign_offer",
        "text": "Halo {{customer.first_name}}, {{campaign.name}} kini tersedia untuk Anda. "
        "Kode promo: {{promo.code}}. Balas STOP untuk berhenti menerima penawaran.",
    },
    {
        "key": "campaign.offer",
        "channel": "SMS",
        "purpose": "OFFER",
        "name": "Penawaran kampanye (SMS)",
        "text": "Halo {{customer.first_name}}, {{campaign.name}} kini tersedia. "
        "Kode promo {{promo.code}}. Balas STOP untuk berhenti.",
    },
    {
        "key": "sla.digest",
        "channel": "EMAIL",
        "purpose": "STAFF",
        "name": "Ringkasan SLA harian (staf)",
        "subject": "Ringkasan SLA: {{sla_digest.summary}}",
        "text": "Ringkasan SLA:\n- {{sla_digest.summary}}\n\n"
        "Buka antrean kasus untuk menindaklanjuti.",
    },
]


def seed_templates(*, author, approver) -> list[MessageTemplate]:
    """Create, submit and approve the demo templates that are missing; returns those created.

    ``author`` writes them (and approves SERVICE/STAFF ones); ``approver`` approves the offers.
    """
    created = []
    for fields in SEEDS:
        if MessageTemplate.objects.filter(key=fields["key"], channel=fields["channel"]).exists():
            continue
        template = ts.template_create(actor=author, **fields)
        version = template.versions.get()
        ts.template_version_submit(actor=author, version=version)
        decider = author if not ts.needs_four_eyes(version) else approver
        ts.template_version_approve(actor=decider, version=version, note="Demo")
        created.append(template)
    return created
