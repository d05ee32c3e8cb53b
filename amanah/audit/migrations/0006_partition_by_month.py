from django.db import migrations

from amanah.core.partitions import partition_by_month, unpartition


def forward(apps, schema_editor):
    partition_by_month(schema_editor, "audit_auditlog", "created_at")


def backward(apps, schema_editor):
    unpartition(schema_editor, "audit_auditlog")


class Migration(migrations.Migration):
    """The audit trail partitioned by UTC month of ``created_at`` (plus a default partition).

    Same rows, ids, chain, indexes, append-only triggers (the TRUNCATE guard is cloned onto
    every partition) and grants; the primary key becomes ``(id, created_at)`` in SQL only.
    """

    dependencies = [("audit", "0005_hash_not_unique"), ("core", "0003_month_partitions")]
    operations = [migrations.RunPython(forward, backward)]
