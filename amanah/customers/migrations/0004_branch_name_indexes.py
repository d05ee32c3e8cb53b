from django.db import migrations

PREFIX = "customer_name_trgm_b_"


def _create(apps, schema_editor):
    """One trigram GIN per existing branch (customers.name_indexes; a new branch gets its own
    with it). Frozen here as SQL: the migration must not change with the module."""
    branch = apps.get_model("iam", "Branch")
    with schema_editor.connection.cursor() as cursor:
        for pk in branch.objects.values_list("pk", flat=True).order_by("pk"):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PREFIX}{pk.hex} ON customers_customer "
                f"USING gin (lower(name_search) gin_trgm_ops) WHERE home_branch_id = '{pk}'::uuid"
            )


def _drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'customers_customer'::regclass AND c.relname LIKE %s",
            [PREFIX.replace("_", r"\_") + "%"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    """A trigram GIN per branch for branch-scoped fuzzy name search (issue 21), for the
    branches that exist (a new branch gets its own with it). A plain CREATE INDEX, one pass
    over the customer table per branch while writes to customers wait: on a big bank, build
    them first without stopping writes, ``manage.py customer_name_indexes --repair``
    (CONCURRENTLY); this migration then finds them all (IF NOT EXISTS)."""

    dependencies = [
        ("customers", "0003_customer_closed_at"),
        ("iam", "0001_initial"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
