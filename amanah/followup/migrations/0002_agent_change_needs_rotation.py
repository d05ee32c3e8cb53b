"""The database's half of "no manual move" (models.py): a member's agent changes only together
with a newer rotation record of that member from the old agent to the new one, and rotation
records are never changed or deleted."""

from django.db import migrations

GUARD = """
CREATE FUNCTION followup_member_agent_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.current_agent_id IS NOT NULL OR NEW.last_rotation_id IS NOT NULL THEN
            RAISE EXCEPTION 'followup: a member is enrolled without an agent; the rotation gives it one'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.current_agent_id IS NOT DISTINCT FROM OLD.current_agent_id
       AND NEW.last_rotation_id IS NOT DISTINCT FROM OLD.last_rotation_id THEN
        RETURN NEW;
    END IF;
    IF NEW.last_rotation_id IS NULL
       OR NEW.last_rotation_id <= COALESCE(OLD.last_rotation_id, 0)
       OR NOT EXISTS (
            SELECT 1 FROM followup_rotation r
             WHERE r.id = NEW.last_rotation_id
               AND r.member_id = NEW.id
               AND r.from_agent_id IS NOT DISTINCT FROM OLD.current_agent_id
               AND r.to_agent_id IS NOT DISTINCT FROM NEW.current_agent_id
       ) THEN
        RAISE EXCEPTION 'followup: a member''s agent changes only with a rotation record'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER followup_member_agent_guard
    BEFORE INSERT OR UPDATE OF current_agent_id, last_rotation_id ON followup_member
    FOR EACH ROW EXECUTE FUNCTION followup_member_agent_guard();

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
DROP TRIGGER followup_member_agent_guard ON followup_member;
DROP FUNCTION followup_member_agent_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]

    operations = [migrations.RunSQL(GUARD, UNDO)]
