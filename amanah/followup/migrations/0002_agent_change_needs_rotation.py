"""The database's half of "no manual move" (models.py): a member's agent changes only together
with a newer rotation record of that member from the old agent to the new one, and rotation
records are never changed or deleted."""

from django.db import migrations

GUARD = """
-- Statement-level, over the transition tables: one set-based check per statement (the sweep
-- moves 5,000 members in one UPDATE), not one plpgsql call per row.
CREATE FUNCTION followup_member_agent_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM new_rows
                    WHERE current_agent_id IS NOT NULL OR last_rotation_id IS NOT NULL) THEN
            RAISE EXCEPTION 'followup: a member is enrolled without an agent; the rotation gives it one'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END IF;
    IF EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.current_agent_id IS DISTINCT FROM o.current_agent_id
                OR n.last_rotation_id IS DISTINCT FROM o.last_rotation_id)
           AND (n.last_rotation_id IS NULL
                OR n.last_rotation_id <= COALESCE(o.last_rotation_id, 0)
                OR NOT EXISTS (
                    SELECT 1 FROM followup_rotation r
                     WHERE r.id = n.last_rotation_id
                       AND r.member_id = n.id
                       AND r.from_agent_id IS NOT DISTINCT FROM o.current_agent_id
                       AND r.to_agent_id IS NOT DISTINCT FROM n.current_agent_id))
    ) THEN
        RAISE EXCEPTION 'followup: a member''s agent changes only with a rotation record'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER followup_member_agent_guard_insert
    AFTER INSERT ON followup_member REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_member_agent_guard();
CREATE TRIGGER followup_member_agent_guard_update
    AFTER UPDATE ON followup_member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_member_agent_guard();

CREATE FUNCTION followup_rotation_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'followup: rotation history is append-only' USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER followup_rotation_append_only
    BEFORE UPDATE OR DELETE ON followup_rotation
    FOR EACH ROW EXECUTE FUNCTION followup_rotation_append_only();
CREATE TRIGGER followup_rotation_no_truncate
    BEFORE TRUNCATE ON followup_rotation
    FOR EACH STATEMENT EXECUTE FUNCTION followup_rotation_append_only();

INSERT INTO followup_desk (id, last_position, window_hours, updated_at) VALUES (1, 0, 48, now());
"""

UNDO = """
DELETE FROM followup_desk;
DROP TRIGGER followup_rotation_no_truncate ON followup_rotation;
DROP TRIGGER followup_rotation_append_only ON followup_rotation;
DROP FUNCTION followup_rotation_append_only();
DROP TRIGGER followup_member_agent_guard_update ON followup_member;
DROP TRIGGER followup_member_agent_guard_insert ON followup_member;
DROP FUNCTION followup_member_agent_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]

    operations = [migrations.RunSQL(GUARD, UNDO)]
