"""The seven NBA rules of seed 001 §4 (and 003 US-18, Bab 11.3D), as data. From here on they
change only through an approved proposal (four eyes)."""

from django.db import migrations


def _c(fact, op, value):
    return {"fact": fact, "op": op, "value": value}


RULES = [
    # code, action, title, reason template, priority, related, condition, purpose, channel
    (
        "CASE_OVERDUE",
        "PRIORITIZE_CASE",
        "Prioritaskan penyelesaian kasus",
        "Muncul karena: ada kasus yang melewati SLA",
        "HIGH",
        "CASE",
        [_c("overdue_case", "eq", True)],
        "INTERNAL",
        "PHONE",
    ),
    (
        "AT_RISK_RETENTION",
        "CALL",
        "Hubungi untuk retensi",
        "Muncul karena: segmen {rfm_segment} + tidak ada kontak 30 hari",
        "HIGH",
        "",
        [_c("rfm_segment", "eq", "AT_RISK"), _c("days_since_contact", "gte", 30)],
        "OFFER",
        "PHONE",
    ),
    (
        "FEATURE_ACTIVATION",
        "OFFER_PRODUCT",
        "Ajak aktivasi fitur baru",
        "Muncul karena: persetujuan pemasaran {marketing_consent} + tidak ada kasus terbuka",
        "MEDIUM",
        "",
        [_c("marketing_consent", "eq", "GRANTED"), _c("open_case", "eq", False)],
        "OFFER",
        "PHONE",
    ),
    (
        "LEAD_FOLLOW_UP",
        "CALL",
        "Follow up lead segera",
        "Muncul karena: lead BARU belum ditindaklanjuti {new_lead_age_days} hari",
        "MEDIUM",
        "LEAD",
        [_c("new_lead_age_days", "gt", 3)],
        "OFFER",
        "PHONE",
    ),
    (
        "LOCAL_MERCHANT",
        "MERCHANT_PROMO",
        "Rekomendasikan merchant lokal",
        "Muncul karena: ada promo merchant aktif di kota nasabah",
        "MEDIUM",
        "MERCHANT",
        [_c("merchant_promo_in_city", "eq", True)],
        "OFFER",
        "WHATSAPP",
    ),
    (
        "ANTI_SCAM_EDUCATION",
        "EDUCATE",
        "Kirim edukasi anti-scam",
        "Muncul karena: pernah ada kasus penipuan/scam",
        "LOW",
        "",
        [_c("fraud_case_ever", "eq", True)],
        "SERVICE",
        "WHATSAPP",
    ),
    (
        "CHAMPION_BIRTHDAY",
        "GREET",
        "Kirim ucapan ulang tahun",
        "Muncul karena: segmen {rfm_segment} + ulang tahun {birthday_in_days} hari lagi",
        "LOW",
        "",
        [_c("rfm_segment", "eq", "CHAMPION"), _c("birthday_in_days", "lte", 7)],
        "SERVICE",
        "WHATSAPP",
    ),
]


def seed(apps, schema_editor):
    NbaRule = apps.get_model("insight", "NbaRule")
    for code, action, title, template, priority, related, condition, purpose, channel in RULES:
        NbaRule.objects.get_or_create(
            code=code,
            defaults={
                "action_type": action,
                "title": title,
                "reason_template": template,
                "priority": priority,
                "related_entity_type": related,
                "condition": condition,
                "purpose": purpose,
                "channel": channel,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("insight", "0002_nba")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
