from django.db import migrations

# Seed 003 Bab 13.5: categories v1; FRAUD_SCAM is sensitive.
CATEGORIES = [
    ("TRX_FAIL", "Transaksi gagal", False),
    ("CARD_ATM", "Kartu / ATM", False),
    ("DIGITAL_ACCESS", "Akses layanan digital", False),
    ("FRAUD_SCAM", "Penipuan / scam", True),
    ("FEE_ADMIN", "Biaya / administrasi", False),
    ("LOAN_CREDIT", "Pinjaman / kredit", False),
    ("OTHER", "Lainnya", False),
]
# Default targets (working hours/days) per priority; every complaint follows the OJK profile
# (resolution within 10 working days, one extension) unless a shorter target applies.
TARGETS = {
    "CRITICAL": (2, "HOURS", 1, "DAYS"),
    "HIGH": (4, "HOURS", 3, "DAYS"),
    "MEDIUM": (1, "DAYS", 5, "DAYS"),
    "LOW": (2, "DAYS", 10, "DAYS"),
}


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "CaseCategory")
    Policy = apps.get_model("cases", "SlaPolicy")
    for code, name, sensitive in CATEGORIES:
        category, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "is_sensitive": sensitive})
        for priority, (fr, fr_unit, res, res_unit) in TARGETS.items():
            Policy.objects.get_or_create(
                category=category,
                priority=priority,
                active=True,
                defaults={
                    "first_response_value": fr,
                    "first_response_unit": fr_unit,
                    "resolution_value": res,
                    "resolution_unit": res_unit,
                    "regulatory": True,
                    "extension_days": 10,
                    "created_by": "system:migrate",
                },
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
