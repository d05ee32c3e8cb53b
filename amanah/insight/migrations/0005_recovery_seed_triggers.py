"""The trigger table of seed 001 §3 ("Trigger Rules"), as data. Estimated values are IDR
(whole rupiah): the voucher is the seed's 50K; a souvenir with its letter and the priority
recovery are the bank's planning figures, a call costs nothing to offer; three months of free
admin fees at Rp12.500 a month is Rp37.500. With the default approval threshold (Rp100.000)
only the CHAMPION priority recovery needs a supervisor's approval before it is sent."""

from django.db import migrations

TRIGGERS = [
    # code, event, condition kind, condition value, action, estimated value (IDR)
    ("TRX_FAIL_BREACH", "BREACHED", "CATEGORY", "TRX_FAIL", "VOUCHER_50K", 50_000),
    ("CARD_ATM_BREACH", "BREACHED", "CATEGORY", "CARD_ATM", "SOUVENIR_SEND", 75_000),
    ("FRAUD_SCAM_CLOSE", "CLOSED", "CATEGORY", "FRAUD_SCAM", "APOLOGY_CALL", 0),
    ("ANY_OVER_2X_SLA", "OVER_2X_SLA", "ANY", "", "ESCALATE_FREE_ADMIN", 37_500),
    ("CHAMPION_BREACH", "BREACHED", "RFM_SEGMENT", "CHAMPION", "PRIORITY_CALLBACK", 150_000),
]


def seed(apps, schema_editor):
    RecoveryTrigger = apps.get_model("insight", "RecoveryTrigger")
    for position, (code, event, kind, value, action, amount) in enumerate(TRIGGERS, start=1):
        RecoveryTrigger.objects.update_or_create(
            code=code,
            defaults={
                "event": event,
                "condition_kind": kind,
                "condition_value": value,
                "action": action,
                "estimated_value": amount,
                "active": True,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    """The seeded triggers no recovery names (a trigger that proposed a recovery stays: a
    rollback loses no data, and ``seed`` finds it again on the way forward)."""
    used = apps.get_model("insight", "ServiceRecovery").objects.values("trigger_id")
    apps.get_model("insight", "RecoveryTrigger").objects.filter(
        code__in=[t[0] for t in TRIGGERS]
    ).exclude(pk__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [("insight", "0004_service_recovery")]

    operations = [migrations.RunPython(seed, unseed)]
