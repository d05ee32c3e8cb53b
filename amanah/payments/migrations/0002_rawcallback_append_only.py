from django.db import migrations

FORWARD = """
CREATE FUNCTION payments_rawcallback_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER payments_rawcallback_append_only BEFORE UPDATE OR DELETE ON payments_rawcallback
    FOR EACH ROW EXECUTE FUNCTION payments_rawcallback_guard();
CREATE TRIGGER payments_rawcallback_no_truncate BEFORE TRUNCATE ON payments_rawcallback
    FOR EACH STATEMENT EXECUTE FUNCTION payments_rawcallback_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_rawcallback_no_truncate ON payments_rawcallback;
DROP TRIGGER IF EXISTS payments_rawcallback_append_only ON payments_rawcallback;
DROP FUNCTION IF EXISTS payments_rawcallback_guard();
"""


class Migration(migrations.Migration):
    """Raw gateway callbacks are append-only in PostgreSQL itself: no DELETE or TRUNCATE; an
    UPDATE only while the row has no verdict yet, and only of the verdict, its reason, the
    payment, the processing time and the order id read from the body (set once)."""

    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
