"""The resolution code an area incident closes its grouped complaints with
(``settings.UTILITY_INCIDENT_RESOLUTION_CODE``, default ``GANGGUAN_PULIH``), in cases'
configured list on every installation — a fresh production install resolves incidents without
the PDAM demo having run (the demo reuses this row).

Idempotent: a code that already exists (an ADMIN added or relabelled it) is left as it is.
Reversible: the code is removed only when no complaint and no incident uses it — a code in
use is never deleted (cases.ResolutionCode), it stays for ADMIN to retire.
"""

from django.conf import settings
from django.db import migrations

LABEL = "Gangguan jaringan diperbaiki, layanan air pulih"
LABEL_EN = "Network fault repaired, water service restored"
POSITION = 5


def _code() -> str:
    return (
        (getattr(settings, "UTILITY_INCIDENT_RESOLUTION_CODE", "") or "GANGGUAN_PULIH")
        .strip()
        .upper()
    )


def seed(apps, schema_editor):
    ResolutionCode = apps.get_model("cases", "ResolutionCode")
    db = schema_editor.connection.alias
    ResolutionCode.objects.using(db).get_or_create(
        code=_code(), defaults={"label": LABEL, "label_en": LABEL_EN, "position": POSITION}
    )


def unseed(apps, schema_editor):
    ResolutionCode = apps.get_model("cases", "ResolutionCode")
    Case = apps.get_model("cases", "Case")
    AreaIncident = apps.get_model("utility", "AreaIncident")
    db = schema_editor.connection.alias
    code = _code()
    if Case.objects.using(db).filter(resolution_code=code).exists():
        return
    if AreaIncident.objects.using(db).filter(resolution_code=code).exists():
        return
    ResolutionCode.objects.using(db).filter(code=code, label=LABEL).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_category_suggestions"),
        ("utility", "0006_incident_cause_and_restore"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
