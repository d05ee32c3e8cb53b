from django.db import migrations, models

# The verdict is still set once, except that a callback the endpoint authenticated is stored
# RECEIVED and the processing job then sets its final verdict (once: never back to RECEIVED
# or to none). Everything else about the row stays as received.
GUARD = """
CREATE OR REPLACE FUNCTION payments_rawcallback_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'payments_rawcallback is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.verdict NOT IN ('', 'RECEIVED') OR NEW.verdict IN ('', 'RECEIVED') THEN
        RAISE EXCEPTION 'payments_rawcallback: the verdict is set once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.provider IS DISTINCT FROM OLD.provider
       OR NEW.source IS DISTINCT FROM OLD.source
       OR NEW.received_at IS DISTINCT FROM OLD.received_at
       OR NEW.headers IS DISTINCT FROM OLD.headers
       OR NEW.body IS DISTINCT FROM OLD.body
       OR (OLD.order_id <> '' AND NEW.order_id IS DISTINCT FROM OLD.order_id) THEN
        RAISE EXCEPTION 'payments_rawcallback: a received callback cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""

GUARD_BEFORE = """
CREATE OR REPLACE FUNCTION payments_rawcallback_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'payments_rawcallback is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.verdict <> '' THEN
        RAISE EXCEPTION 'payments_rawcallback: the verdict is set once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.provider IS DISTINCT FROM OLD.provider
       OR NEW.source IS DISTINCT FROM OLD.source
       OR NEW.received_at IS DISTINCT FROM OLD.received_at
       OR NEW.headers IS DISTINCT FROM OLD.headers
       OR NEW.body IS DISTINCT FROM OLD.body
       OR (OLD.order_id <> '' AND NEW.order_id IS DISTINCT FROM OLD.order_id) THEN
        RAISE EXCEPTION 'payments_rawcallback: a received callback cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""

VERDICTS = ["RECEIVED", "ACCEPTED", "REJECTED", "DUPLICATE", "IGNORED"]


class Migration(migrations.Migration):
    """Callbacks applied by a job (issue 17, 500/s): the endpoint stores an authenticated
    callback RECEIVED; the job claims those (a partial index on them) and sets the verdict."""

    dependencies = [("payments", "0003_partition_callbacks_by_month")]

    operations = [
        migrations.RemoveConstraint(model_name="rawcallback", name="rawcallback_verdict_known"),
        migrations.AlterField(
            model_name="rawcallback",
            name="verdict",
            field=models.CharField(
                blank=True,
                choices=[
                    ("RECEIVED", "Diterima, menunggu diproses"),
                    ("ACCEPTED", "Diterima dan diterapkan"),
                    ("REJECTED", "Ditolak (tanda tangan/token tidak sah)"),
                    ("DUPLICATE", "Duplikat (sudah diterapkan)"),
                    ("IGNORED", "Diabaikan"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="rawcallback",
            index=models.Index(
                condition=models.Q(("verdict", "RECEIVED")),
                fields=["id"],
                name="rawcallback_received_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="rawcallback",
            constraint=models.CheckConstraint(
                condition=models.Q(("verdict", ""), ("verdict__in", VERDICTS), _connector="OR"),
                name="rawcallback_verdict_known",
            ),
        ),
        migrations.RunSQL(GUARD, GUARD_BEFORE),
    ]
