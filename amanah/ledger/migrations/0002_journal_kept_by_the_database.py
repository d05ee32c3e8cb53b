"""The database's half of the journal (models.py): balanced entries, append-only history, and
no posting into a closed period — refused by PostgreSQL even for a raw SQL write.

- ``ledger_entry_balanced``: a constraint trigger, DEFERRABLE INITIALLY DEFERRED, on the
  entries and on their lines. At commit (or at ``SET CONSTRAINTS … IMMEDIATE``) every entry
  touched in the transaction must have at least two lines and equal debit and credit totals.
  Deferred, because an entry and its lines are written by separate statements; per row,
  because constraint triggers are; the check is one index range read of the entry's lines.
- ``ledger_append_only``: UPDATE, DELETE and TRUNCATE of entries and lines are refused; a
  correction is a reversing entry.
- ``ledger_entry_period``: an entry's period is the first day of its date's month, and the
  period must not be closed (the row read FOR SHARE, so a concurrent close waits for the
  posting to commit, and a posting waits for a close in progress).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target bigint;
    line_count integer;
    debits numeric;
    credits numeric;
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalentry' THEN
        target := NEW.id;
    ELSE
        target := NEW.entry_id;
    END IF;
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, debits, credits
      FROM ledger_journalline WHERE entry_id = target;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'ledger: journal entry % has % line(s); at least 2 are needed',
            target, line_count USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'ledger: journal entry % is not balanced (debit % <> credit %)',
            target, debits, credits USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
CREATE CONSTRAINT TRIGGER ledger_line_balanced
    AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();

CREATE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % is append-only (% refused); post a reversing entry',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_line_no_truncate BEFORE TRUNCATE ON ledger_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

ALTER TABLE ledger_journalentry ADD CONSTRAINT ledger_entry_period_of_date
    CHECK (period = date_trunc('month', date)::date);

CREATE FUNCTION ledger_entry_period_open() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM ledger_period WHERE month = NEW.period AND closed FOR SHARE;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: period % is closed', to_char(NEW.period, 'YYYY-MM')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_entry_period_open BEFORE INSERT ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_period_open();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_period_open ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_period_open();
ALTER TABLE ledger_journalentry DROP CONSTRAINT IF EXISTS ledger_entry_period_of_date;
DROP TRIGGER IF EXISTS ledger_line_no_truncate ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
