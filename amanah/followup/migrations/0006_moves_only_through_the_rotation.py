"""No manual move, kept by the database (issue 51, 4): a member's agent, status, window and
deposit totals, a rotation row, a deposit row, an agent's person and number, and the desk's
cursor and window change only inside the desk's functions below, owned by the owner role
(SECURITY DEFINER, a fixed ``search_path``); the application role may call them, and they
check every move against the rotation rules (DESIGN §6) before they write it:

``followup_move(members, reason, now, off_duty, run, exit)``
    the one way a member's agent changes. It takes no target: the database picks the next
    agent itself — 1..N after the member's own (a new member: after the desk's cursor), with
    wrap-around, skipping agents inactive, away (``calendars_staffabsence``) or full, and
    those the caller names as outside working hours (``off_duty``: the calendars' rule, with
    national holidays and zones, is Python's; the claim is kept on each rotation row). The
    reason must fit the member: NO_DEPOSIT only for a window that has ended, AGENT_UNAVAILABLE
    only for an agent inactive or away now, NEW_MEMBER/PENDING_ASSIGNED only for a waiting
    member, MEMBER_DONE only with an exit reason (TARGET_MET only for a target reached).
``followup_deposit_accept(member, ref, amount, deposited_at, now)``
    a deposit: the row, the totals, the window restarted when it fell inside it, the member
    done (through ``followup_move``) when it reached the target.
``followup_desk_order_set(agents, positions)``
    a new order 1..N, the cursor and the waiting members' last agent remapped with it.

The time: a role that owns the desk's tables (the owner, a superuser: the tests and the
bench, which move the clock) may name the moment; for anyone else it must lie within two
minutes of the database's clock — the application role cannot end a window early by naming
a later "now".

The audit row: the chain is an HMAC with a key that is not in the database, so the functions
cannot write it. The service records it in the same transaction (``assign.record``, the
meta names the rotation) and deferred constraint triggers refuse the COMMIT of any rotation
(one set-based check per ``followup_move`` call, over the ids it wrote, kept on the desk row)
and any deposit without its audit row: the application role cannot call the move path and
leave no trace (it could write a row of its own, which the chain's verification then finds).

The earlier guard (0002: an agent change only with a newer rotation row from the old agent to
the new one; rotations append-only) stays, for every role.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

FUNCTIONS = r"""
-- Whether ``p_role`` may act as the owner of the desk's tables (the owner, a superuser).
CREATE FUNCTION followup_owns(p_role name) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_has_role(p_role, c.relowner, 'MEMBER')
      FROM pg_class c WHERE c.oid = 'public.followup_member'::regclass
$$;

-- The moment a move happens at. Inside a SECURITY DEFINER function current_user is the
-- owner; the caller is the role set with SET ROLE, else the login.
CREATE FUNCTION followup_clock(p_now timestamptz) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_caller name := CASE WHEN current_setting('role') = 'none' THEN session_user
                          ELSE current_setting('role')::name END;
BEGIN
    IF p_now IS NULL THEN
        RETURN clock_timestamp();
    END IF;
    IF followup_owns(v_caller)
       OR p_now BETWEEN clock_timestamp() - interval '2 minutes'
                    AND clock_timestamp() + interval '2 minutes' THEN
        RETURN p_now;
    END IF;
    RAISE EXCEPTION 'followup: % is not now; the desk moves by the database''s clock', p_now
        USING ERRCODE = 'check_violation';
END;
$$;

-- The agents at a moment, in order: present (active on the desk, an active user, not away),
-- and the members each holds now. Python's hand-out (``assign.Hand``) reads the same rows.
-- (``p_loads`` false: no load counted, NULL — a hand-out that may find nothing due pays no count.)
CREATE FUNCTION followup_agents(p_now timestamptz, p_loads boolean DEFAULT true)
RETURNS TABLE (agent_id uuid, user_id uuid, agent_position integer, capacity integer,
               present boolean, load integer)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT a.id, a.user_id, a.position::integer, a.capacity::integer,
           a.is_active AND u.is_active AND NOT EXISTS (
               SELECT 1 FROM calendars_staffabsence s
                WHERE s.user_id = a.user_id AND s.cancelled_at IS NULL
                  AND s.starts_at <= p_now AND s.ends_at > p_now),
           CASE WHEN p_loads THEN
               (SELECT count(*)::integer FROM followup_member m
                 WHERE m.current_agent_id = a.id AND m.status IN ('ACTIVE', 'ROTATED'))
           END
      FROM followup_deskagent a JOIN iam_user u ON u.id = a.user_id
     ORDER BY a.position;
END;
$$;

-- The next position after ``p_after`` (1..N, wrapping) that may take a member and has room;
-- ``p_after`` itself only last and only with ``p_include_after`` (a new member may go back to
-- the agent served last; a rotation moves a member away). NULL: nobody. The database's form of
-- ``core.roundrobin.next_position`` (``tests/test_guard.py`` holds the two to one answer).
CREATE FUNCTION followup_next_position(p_after integer, p_include_after boolean,
                                       p_free boolean[], p_load integer[], p_capacity integer[])
RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_n integer := coalesce(cardinality(p_free), 0);
    v_after integer := CASE WHEN p_after BETWEEN 1 AND v_n THEN p_after ELSE 0 END;
    v_p integer;
BEGIN
    FOR k IN 1..v_n LOOP
        v_p := (v_after + k - 1) % v_n + 1;
        IF (v_p <> v_after OR p_include_after) AND p_free[v_p]
           AND p_load[v_p] < p_capacity[v_p] THEN
            RETURN v_p;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE FUNCTION followup_move(p_members bigint[], p_reason text, p_now timestamptz,
                              p_off_duty uuid[] DEFAULT '{}', p_run uuid DEFAULT NULL,
                              p_exit text DEFAULT NULL)
RETURNS TABLE (member_id bigint, rotation_id bigint, from_position integer,
               to_position integer, reason text, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_now timestamptz := followup_clock(p_now);
    v_hours integer;
    v_cursor integer;
    v_start_cursor integer;
    v_agent uuid[];
    v_capacity integer[];
    v_present boolean[];
    v_free boolean[];
    v_load integer[];
    v_positions integer[];
    v_off smallint[];
    r record;
    v_seen integer := 0;
    v_i integer := 0;
    v_from integer;
    v_to integer;
    v_new boolean;
    v_n integer;
    o_member bigint[] := '{}';
    o_from integer[] := '{}';
    o_to integer[] := '{}';
    o_from_agent uuid[] := '{}';
    o_to_agent uuid[] := '{}';
    o_reason text[] := '{}';
    o_status text[] := '{}';
    o_rotates boolean[] := '{}';
    o_rotation bigint[];
BEGIN
    IF p_reason IS NULL OR p_reason NOT IN ('NEW_MEMBER', 'PENDING_ASSIGNED', 'AGENT_UNAVAILABLE',
                                            'NO_DEPOSIT', 'MEMBER_DONE') THEN
        RAISE EXCEPTION 'followup: % is no reason to move a member', p_reason
            USING ERRCODE = 'check_violation';
    END IF;
    IF (p_reason = 'MEMBER_DONE') <> (p_exit IS NOT NULL) OR p_exit IS NOT NULL AND p_exit NOT IN
           ('TARGET_MET', 'CONSENT_WITHDRAWN', 'CLOSED', 'MERGED', 'DO_NOT_CONTACT') THEN
        RAISE EXCEPTION 'followup: a member leaves the desk with an exit reason, and only then'
            USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT count(*) <> count(DISTINCT x) FROM unnest(p_members) AS x) THEN
        RAISE EXCEPTION 'followup: a member is moved once at a time'
            USING ERRCODE = 'check_violation';
    END IF;
    -- Lock order, as everywhere on the desk: the desk row, then members.
    SELECT d.last_position, d.window_hours INTO v_cursor, v_hours
      FROM followup_desk d WHERE d.id = 1 FOR UPDATE;
    v_start_cursor := v_cursor;
    SELECT coalesce(array_agg(a.agent_id ORDER BY a.agent_position), '{}'),
           coalesce(array_agg(a.capacity ORDER BY a.agent_position), '{}'),
           coalesce(array_agg(a.present ORDER BY a.agent_position), '{}'),
           coalesce(array_agg(a.present AND NOT a.agent_id = ANY(coalesce(p_off_duty, '{}'))
                              ORDER BY a.agent_position), '{}'),
           coalesce(array_agg(a.load ORDER BY a.agent_position), '{}'),
           coalesce(array_agg(a.agent_position ORDER BY a.agent_position), '{}'),
           array_agg(a.agent_position::smallint ORDER BY a.agent_position)
               FILTER (WHERE a.present AND a.agent_id = ANY(coalesce(p_off_duty, '{}')))
      INTO v_agent, v_capacity, v_present, v_free, v_load, v_positions, v_off
      FROM followup_agents(v_now) AS a;
    v_n := cardinality(v_positions);
    IF v_positions <> ARRAY(SELECT generate_series(1, v_n)) THEN
        RAISE EXCEPTION 'followup: the agents are not numbered 1..N'
            USING ERRCODE = 'check_violation';
    END IF;

    FOR r IN SELECT m.id, m.status AS state, m.current_agent_id, m.last_position, m.window_end,
                    m.deposit_total, m.deposit_target
               FROM unnest(p_members) WITH ORDINALITY AS u(id, n)
               JOIN followup_member m ON m.id = u.id
              ORDER BY u.n
                FOR NO KEY UPDATE OF m
    LOOP
        v_seen := v_seen + 1;
        v_from := array_position(v_agent, r.current_agent_id);
        IF p_reason = 'MEMBER_DONE' THEN
            IF r.state = 'DONE' THEN
                RAISE EXCEPTION 'followup: member % has left the desk already', r.id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF p_exit = 'TARGET_MET' AND (r.deposit_total >= r.deposit_target) IS NOT TRUE THEN
                RAISE EXCEPTION 'followup: member % has not reached its target', r.id
                    USING ERRCODE = 'check_violation';
            END IF;
            v_to := NULL;
        ELSE
            IF p_reason IN ('NEW_MEMBER', 'PENDING_ASSIGNED') AND r.state <> 'PENDING' THEN
                RAISE EXCEPTION 'followup: member % is not waiting for an agent', r.id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF p_reason IN ('AGENT_UNAVAILABLE', 'NO_DEPOSIT')
               AND r.state NOT IN ('ACTIVE', 'ROTATED') THEN
                RAISE EXCEPTION 'followup: member % has no agent to leave', r.id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF p_reason = 'AGENT_UNAVAILABLE' AND v_present[v_from] THEN
                RAISE EXCEPTION 'followup: the agent of member % is at the desk; it stays', r.id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF p_reason = 'NO_DEPOSIT' AND r.window_end > v_now THEN
                RAISE EXCEPTION 'followup: the window of member % runs until %', r.id,
                    r.window_end USING ERRCODE = 'check_violation';
            END IF;
            -- A new member goes to the agent after the desk's cursor (that agent too, last);
            -- any other to the agent after its own, or after the one it came from.
            v_new := r.state = 'PENDING' AND r.last_position = 0;
            v_to := followup_next_position(
                CASE WHEN v_new THEN v_cursor ELSE coalesce(v_from, r.last_position) END, v_new,
                v_free, v_load, v_capacity);
            IF v_new AND v_to IS NOT NULL THEN
                v_cursor := v_to;
            END IF;
            CONTINUE WHEN v_to IS NULL AND v_from IS NULL;  -- it waits on
        END IF;
        IF v_from IS NOT NULL THEN
            v_load[v_from] := v_load[v_from] - 1;
        END IF;
        IF v_to IS NOT NULL THEN
            v_load[v_to] := v_load[v_to] + 1;
        END IF;
        v_i := v_i + 1;
        o_member[v_i] := r.id;
        o_from[v_i] := v_from;
        o_to[v_i] := v_to;
        o_from_agent[v_i] := r.current_agent_id;
        o_to_agent[v_i] := v_agent[v_to];
        o_rotates[v_i] := v_from IS NOT NULL OR v_to IS NOT NULL;
        o_reason[v_i] := CASE WHEN p_reason IN ('NEW_MEMBER', 'PENDING_ASSIGNED')
                              THEN CASE WHEN v_new THEN 'NEW_MEMBER' ELSE 'PENDING_ASSIGNED' END
                              ELSE p_reason END;
        o_status[v_i] := CASE WHEN p_reason = 'MEMBER_DONE' THEN 'DONE'
                              WHEN v_to IS NULL THEN 'PENDING'
                              WHEN p_reason IN ('NEW_MEMBER', 'PENDING_ASSIGNED') AND v_new
                                  THEN 'ACTIVE'
                              ELSE 'ROTATED' END;
    END LOOP;
    IF v_seen <> coalesce(cardinality(p_members), 0) THEN
        RAISE EXCEPTION 'followup: a member to move is not on the desk'
            USING ERRCODE = 'check_violation';
    END IF;
    IF v_i = 0 THEN
        RETURN;
    END IF;

    -- The history first, then the members pointing at it (the 0002 guard checks the pair).
    WITH written AS (
        INSERT INTO followup_rotation AS t
               (member_id, from_agent_id, to_agent_id, from_position, to_position, reason, at,
                sweep_run, off_duty)
        SELECT u.m, u.fa, u.ta, u.fp, u.tp, u.r, v_now, p_run, v_off
          FROM unnest(o_member, o_from_agent, o_to_agent, o_from, o_to, o_reason, o_rotates)
               AS u(m, fa, ta, fp, tp, r, rotates)
         WHERE u.rotates
        RETURNING t.member_id, t.id
    )
    SELECT array_agg(w.id ORDER BY u.n) INTO o_rotation
      FROM unnest(o_member) WITH ORDINALITY AS u(m, n)
      LEFT JOIN written w ON w.member_id = u.m;

    UPDATE followup_member m
       SET current_agent_id = u.ta,
           last_rotation_id = coalesce(u.rot, m.last_rotation_id),
           last_position = coalesce(u.tp, u.fp, m.last_position),
           status = u.st,
           window_start = CASE WHEN u.ta IS NULL THEN NULL ELSE v_now END,
           window_end = CASE WHEN u.ta IS NULL THEN NULL
                             ELSE v_now + make_interval(hours => v_hours) END,
           pending_since = CASE WHEN u.st = 'PENDING' THEN coalesce(m.pending_since, v_now) END,
           exit_reason = CASE WHEN u.st = 'DONE' THEN p_exit ELSE m.exit_reason END,
           done_at = CASE WHEN u.st = 'DONE' THEN v_now ELSE m.done_at END
      FROM unnest(o_member, o_rotation, o_to_agent, o_from, o_to, o_status)
           AS u(id, rot, ta, fp, tp, st)
     WHERE m.id = u.id;

    -- The cursor, and the rotations this call wrote: at COMMIT the desk's deferred check
    -- (``followup_moves_audited``) finds each one's audit row or refuses the transaction.
    UPDATE followup_desk
       SET last_position = v_cursor,
           updated_at = CASE WHEN v_cursor <> v_start_cursor THEN v_now ELSE updated_at END,
           rotations_written = coalesce((SELECT int8range(min(x), max(x), '[]')
                                           FROM unnest(o_rotation) AS x HAVING count(x) > 0),
                                        rotations_written)
     WHERE id = 1;
    RETURN QUERY
        SELECT u.m, u.rot, u.fp, u.tp, u.r, u.st
          FROM unnest(o_member, o_rotation, o_from, o_to, o_reason, o_status)
               AS u(m, rot, fp, tp, r, st);
END;
$$;

CREATE FUNCTION followup_deposit_accept(p_member bigint, p_external_ref text, p_amount numeric,
                                        p_deposited_at timestamptz, p_now timestamptz)
RETURNS TABLE (deposit_id bigint, reset_window boolean, target_met boolean,
               rotation_id bigint, from_position integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_now timestamptz := followup_clock(p_now);
    v_hours integer;
    m record;
    v_in boolean;
    v_met boolean;
    v_total numeric;
    v_deposit bigint;
    v_rotation bigint;
    v_from integer;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 OR p_deposited_at IS NULL
       OR p_deposited_at > v_now + interval '5 minutes' THEN
        RAISE EXCEPTION 'followup: a deposit needs an amount and a time not in the future'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT d.window_hours INTO v_hours FROM followup_desk d WHERE d.id = 1 FOR UPDATE;
    SELECT * INTO m FROM followup_member WHERE id = p_member FOR NO KEY UPDATE;
    IF NOT FOUND OR m.status = 'DONE' THEN
        RAISE EXCEPTION 'followup: member % is not on the desk', p_member
            USING ERRCODE = 'check_violation';
    END IF;
    v_in := m.status IN ('ACTIVE', 'ROTATED')
            AND p_deposited_at BETWEEN m.window_start AND m.window_end;
    v_total := m.deposit_total + p_amount;
    v_met := coalesce(v_total >= m.deposit_target, false);
    INSERT INTO followup_deposit
           (member_id, external_ref, amount, deposited_at, received_at, reset_window, agent_id)
    VALUES (m.id, p_external_ref, p_amount, p_deposited_at, v_now, v_in AND NOT v_met,
            m.current_agent_id)
    RETURNING id INTO v_deposit;
    UPDATE followup_member
       SET deposit_total = v_total,
           deposit_status = CASE WHEN v_met THEN 'MET' ELSE 'PARTIAL' END,
           last_deposit_at = greatest(last_deposit_at, p_deposited_at),
           window_start = CASE WHEN v_in AND NOT v_met THEN p_deposited_at ELSE window_start END,
           window_end = CASE WHEN v_in AND NOT v_met
                             THEN p_deposited_at + make_interval(hours => v_hours)
                             ELSE window_end END
     WHERE id = m.id;
    IF v_met THEN
        SELECT f.rotation_id, f.from_position INTO v_rotation, v_from
          FROM followup_move(ARRAY[m.id], 'MEMBER_DONE', v_now, '{}', NULL, 'TARGET_MET') AS f;
    END IF;
    RETURN QUERY SELECT v_deposit, v_in AND NOT v_met, v_met, v_rotation, v_from;
END;
$$;

CREATE FUNCTION followup_desk_order_set(p_agents uuid[], p_positions integer[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_old integer[];
    v_new integer[];
    v_remapped integer;
BEGIN
    PERFORM 1 FROM followup_desk WHERE id = 1 FOR UPDATE;
    PERFORM 1 FROM followup_deskagent ORDER BY id FOR UPDATE;
    IF cardinality(p_agents) IS DISTINCT FROM cardinality(p_positions)
       OR ARRAY(SELECT x FROM unnest(p_agents) x ORDER BY x)
          IS DISTINCT FROM ARRAY(SELECT id FROM followup_deskagent ORDER BY id)
       OR ARRAY(SELECT x FROM unnest(p_positions) x ORDER BY x)
          IS DISTINCT FROM ARRAY(SELECT generate_series(1, cardinality(p_positions))) THEN
        RAISE EXCEPTION 'followup: an order names every agent once, numbered 1..N'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT coalesce(array_agg(a.position::integer), '{}'), coalesce(array_agg(u.p), '{}')
      INTO v_old, v_new
      FROM unnest(p_agents, p_positions) AS u(id, p)
      JOIN followup_deskagent a ON a.id = u.id
     WHERE a.position <> u.p;
    UPDATE followup_deskagent a SET position = u.p
      FROM unnest(p_agents, p_positions) AS u(id, p)
     WHERE a.id = u.id AND a.position <> u.p;
    -- Positions, not agents, are kept on the cursor and on each open member: remapped so they
    -- name the same agents (members that are DONE keep theirs: history).
    UPDATE followup_desk d SET last_position = u.new, updated_at = clock_timestamp()
      FROM unnest(v_old, v_new) AS u(old, new)
     WHERE d.id = 1 AND d.last_position = u.old;
    UPDATE followup_member m SET last_position = u.new
      FROM unnest(v_old, v_new) AS u(old, new)
     WHERE m.last_position = u.old AND m.status <> 'DONE';
    GET DIAGNOSTICS v_remapped = ROW_COUNT;
    RETURN v_remapped;
END;
$$;

-- ---------------------------------------------------------------- the guards
-- Beside the 0002 guard (which every role meets): a role that does not own the tables (the
-- application) enrols members only as new and waiting, and changes of a member nothing but
-- its last contact and (a merge) its customer.
CREATE FUNCTION followup_member_app_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF followup_owns(current_user) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (
            SELECT 1 FROM new_rows
             WHERE status <> 'PENDING' OR last_position <> 0 OR window_start IS NOT NULL
                OR window_end IS NOT NULL OR done_at IS NOT NULL OR exit_reason <> ''
                OR deposit_total <> 0 OR deposit_status <> 'NONE' OR last_deposit_at IS NOT NULL
        ) THEN
            RAISE EXCEPTION 'followup: a member is enrolled as new and waiting; the desk does the rest'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END IF;
    IF EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE to_jsonb(n) - 'last_contact_at' - 'customer_id'
               IS DISTINCT FROM to_jsonb(o) - 'last_contact_at' - 'customer_id'
    ) THEN
        RAISE EXCEPTION 'followup: a member''s agent, window and deposits change only by the rotation (followup_move, followup_deposit_accept)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER followup_member_app_guard_insert
    AFTER INSERT ON followup_member REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_member_app_guard();
CREATE TRIGGER followup_member_app_guard_update
    AFTER UPDATE ON followup_member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_member_app_guard();

-- Rows only the desk's functions write (rotations, deposits) and rows nobody but they change
-- or removes (members, agents, the desk): refused for a role that does not own the tables.
CREATE FUNCTION followup_owner_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT followup_owns(current_user) THEN
        RAISE EXCEPTION 'followup: % on % is the desk''s own (followup_move)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER followup_rotation_written_by_the_desk
    BEFORE INSERT ON followup_rotation
    FOR EACH STATEMENT EXECUTE FUNCTION followup_owner_only();
CREATE TRIGGER followup_deposit_written_by_the_desk
    BEFORE INSERT OR UPDATE OR DELETE ON followup_deposit
    FOR EACH STATEMENT EXECUTE FUNCTION followup_owner_only();
CREATE TRIGGER followup_member_kept
    BEFORE DELETE ON followup_member
    FOR EACH STATEMENT EXECUTE FUNCTION followup_owner_only();
CREATE TRIGGER followup_deskagent_kept
    BEFORE DELETE ON followup_deskagent
    FOR EACH STATEMENT EXECUTE FUNCTION followup_owner_only();
CREATE TRIGGER followup_desk_kept
    BEFORE INSERT OR DELETE ON followup_desk
    FOR EACH STATEMENT EXECUTE FUNCTION followup_owner_only();

-- An agent is always the same person (nobody re-points one, not even the owner); its number
-- changes only with a whole new order, and it is never taken off the desk (``is_active``) by
-- the application; positions stay 1..N (doubles are the deferred unique key's).
CREATE FUNCTION followup_deskagent_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    -- (Each statement naming old_rows runs for an UPDATE only: an INSERT has no such table.)
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE n.user_id <> o.user_id)
           OR (SELECT count(*) FROM new_rows n JOIN old_rows o ON o.id = n.id)
              <> (SELECT count(*) FROM new_rows) THEN
            RAISE EXCEPTION 'followup: an agent is always the same person'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT followup_owns(current_user) AND EXISTS (
            SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.position <> o.position OR n.is_active <> o.is_active
        ) THEN
            RAISE EXCEPTION 'followup: the agents'' order changes only as a whole (followup_desk_order_set)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM followup_deskagent
                WHERE position > (SELECT count(*) FROM followup_deskagent)) THEN
        RAISE EXCEPTION 'followup: the agents are numbered 1..N without gaps'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER followup_deskagent_guard_update
    AFTER UPDATE ON followup_deskagent REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_deskagent_guard();
CREATE TRIGGER followup_deskagent_guard_insert
    AFTER INSERT ON followup_deskagent REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followup_deskagent_guard();

-- The desk's cursor and its window length: the rotation's and the owner's.
CREATE FUNCTION followup_desk_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT followup_owns(current_user)
       AND (NEW.last_position, NEW.window_hours, NEW.rotations_written, NEW.id)
           IS DISTINCT FROM (OLD.last_position, OLD.window_hours, OLD.rotations_written, OLD.id)
    THEN
        RAISE EXCEPTION 'followup: the desk''s cursor and window change only by the rotation'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER followup_desk_guard
    AFTER UPDATE ON followup_desk
    FOR EACH ROW EXECUTE FUNCTION followup_desk_guard();

-- ---------------------------------------------------------------- the audit row
-- Checked at COMMIT: every rotation and every deposit written has its audit row (the
-- service records it in the same transaction; a rotation's meta names it).
-- One check per call of ``followup_move`` (the range of rotation ids it wrote, kept on the desk
-- row): one anti-join at COMMIT, not a trigger per rotation (a sweep writes 5,000 a batch).
CREATE FUNCTION followup_moves_audited() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_missing bigint;
BEGIN
    SELECT r.id INTO v_missing
      FROM followup_rotation r
     WHERE r.id >= lower(NEW.rotations_written) AND r.id < upper(NEW.rotations_written)
       AND NOT EXISTS (
           SELECT 1 FROM audit_auditlog a
            WHERE a.action = 'ROTATE_FOLLOWUP_MEMBER'
              AND a.created_at >= transaction_timestamp() - interval '1 hour'
              AND a.object_type = 'followup.Member' AND a.object_id = r.member_id::text
              AND a.meta ->> 'rotation' = r.id::text)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'followup: rotation % has no audit row', v_missing
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER followup_moves_audited
    AFTER UPDATE ON followup_desk DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.rotations_written IS DISTINCT FROM OLD.rotations_written)
    EXECUTE FUNCTION followup_moves_audited();

CREATE FUNCTION followup_deposit_audited() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM audit_auditlog a
         WHERE a.object_type = 'followup.Deposit' AND a.object_id = NEW.id::text
           AND a.action = 'RECORD_FOLLOWUP_DEPOSIT'
           AND a.created_at >= transaction_timestamp() - interval '1 day'
    ) THEN
        RAISE EXCEPTION 'followup: deposit % has no audit row', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER followup_deposit_audited
    AFTER INSERT ON followup_deposit DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION followup_deposit_audited();
"""

UNDO = r"""
DROP TRIGGER followup_deposit_audited ON followup_deposit;
DROP FUNCTION followup_deposit_audited();
DROP TRIGGER followup_moves_audited ON followup_desk;
DROP FUNCTION followup_moves_audited();
DROP TRIGGER followup_desk_guard ON followup_desk;
DROP FUNCTION followup_desk_guard();
DROP TRIGGER followup_deskagent_guard_insert ON followup_deskagent;
DROP TRIGGER followup_deskagent_guard_update ON followup_deskagent;
DROP FUNCTION followup_deskagent_guard();
DROP TRIGGER followup_desk_kept ON followup_desk;
DROP TRIGGER followup_deskagent_kept ON followup_deskagent;
DROP TRIGGER followup_member_kept ON followup_member;
DROP TRIGGER followup_deposit_written_by_the_desk ON followup_deposit;
DROP TRIGGER followup_rotation_written_by_the_desk ON followup_rotation;
DROP FUNCTION followup_owner_only();
DROP TRIGGER followup_member_app_guard_update ON followup_member;
DROP TRIGGER followup_member_app_guard_insert ON followup_member;
DROP FUNCTION followup_member_app_guard();
DROP FUNCTION followup_desk_order_set(uuid[], integer[]);
DROP FUNCTION followup_deposit_accept(bigint, text, numeric, timestamptz, timestamptz);
DROP FUNCTION followup_move(bigint[], text, timestamptz, uuid[], uuid, text);
DROP FUNCTION followup_next_position(integer, boolean, boolean[], integer[], integer[]);
DROP FUNCTION followup_agents(timestamptz, boolean);
DROP FUNCTION followup_clock(timestamptz);
DROP FUNCTION followup_owns(name);
"""


class Migration(migrations.Migration):
    # The functions read calendars' absences, iam's users and the audit trail when they run
    # (PL/pgSQL: resolved then), so no other app's latest migration is needed to create them.
    dependencies = [("followup", "0005_enrolment_refs_and_period_indexes")]

    operations = [
        migrations.AddField(
            model_name="rotation",
            name="off_duty",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.SmallIntegerField(), blank=True, null=True, size=None
            ),
        ),
        migrations.AddField(
            model_name="desk",
            name="rotations_written",
            field=django.contrib.postgres.fields.ranges.BigIntegerRangeField(blank=True, null=True),
        ),
        migrations.RunSQL(FUNCTIONS, UNDO),
    ]
