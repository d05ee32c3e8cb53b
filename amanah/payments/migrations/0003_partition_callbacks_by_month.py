from django.db import migrations

from amanah.core.partitions import partition_by_month, unpartition


def forward(apps, schema_editor):
    partition_by_month(schema_editor, "payments_rawcallback", "received_at")


def backward(apps, schema_editor):
    unpartition(schema_editor, "payments_rawcallback")


class Migration(migrations.Migration):
    """Raw gateway callbacks partitioned by UTC month of ``received_at`` (plus a default
    partition). Same rows, ids, indexes, foreign key to the payment, append-only guard
    (the TRUNCATE guard is cloned onto every partition); primary key ``(id, received_at)``
    in SQL only."""

    dependencies = [("payments", "0002_rawcallback_append_only"), ("core", "0003_month_partitions")]
    operations = [migrations.RunPython(forward, backward)]
