"""The SLA sweep (every minute): warnings at 75 %, breaches at 100 %, escalation by policy,
OJK day-20 flag. Set-based SQL, so one run over every open case takes seconds; idempotent,
because each step only touches cases it has not marked before."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import OPEN_STATUSES, Case
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R

OPEN = [str(s) for s in OPEN_STATUSES]
ACTOR = SystemActor("system:sla")


@dataclass(frozen=True)
class SweepResult:
    warned: int
    breached: int
    escalated: int
    regulatory_overdue: int


def _supervisors_sql() -> str:
    """(branch_id, user_id) of active supervisors whose scope covers each branch, right now."""
    return f"""
        SELECT b.id AS branch_id, u.id AS user_id
          FROM iam_user u
          JOIN iam_userrole ur ON ur.user_id = u.id AND ur.role_id = '{R.SUPERVISOR.value}'
          JOIN iam_userbranchscope s ON s.user_id = u.id
               AND (s.active_from IS NULL OR s.active_from <= %(now)s)
               AND (s.active_to IS NULL OR s.active_to > %(now)s)
          JOIN iam_branch b ON s.scope_type = 'ALL' OR b.id = s.branch_id
         WHERE u.is_active
    """


def _notify_sql(kind: str, title: str) -> str:
    """Insert one notification per marked case for its assignee and its branch supervisors."""
    return f"""
        INSERT INTO notifications_notification (user_id, title, body, url, dedupe_key, created_at)
        SELECT DISTINCT r.user_id, '{title} ' || m.case_no, '', '/cases/' || m.id || '/',
               '{kind}:' || m.id, %(now)s
          FROM marked m
          JOIN LATERAL (
                SELECT m.assigned_to_id AS user_id WHERE m.assigned_to_id IS NOT NULL
                UNION SELECT sup.user_id FROM supervisors sup WHERE sup.branch_id = m.branch_id
          ) r ON true
        ON CONFLICT (user_id, dedupe_key) DO NOTHING
    """


def _mark(condition: str, set_clause: str, kind: str, message: str, title: str, now) -> list[tuple]:
    """One statement: mark the cases, log an SLA activity, notify; returns the marked rows."""
    message, title = (
        message.replace("%", "%%"),
        title.replace("%", "%%"),
    )  # literal, not a parameter
    sql = f"""
        WITH supervisors AS ({_supervisors_sql()}),
        marked AS (
            UPDATE cases_case c SET {set_clause}
              FROM cases_slapolicy p
             WHERE p.id = c.sla_policy_id AND c.status = ANY(%(open)s) AND {condition}
         RETURNING c.id, c.case_no, c.assigned_to_id, c.branch_id, c.status, p.escalate_on_breach
        ),
        logged AS (
            INSERT INTO cases_caseactivity
                   (case_id, activity_type, message, actor_label, meta, created_at)
            SELECT id, 'SLA', '{message}', 'system:sla',
                   jsonb_build_object('kind', '{kind}'), %(now)s
              FROM marked
        ),
        notified AS ({_notify_sql(kind, title)})
        SELECT id, case_no, status, escalate_on_breach FROM marked
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "open": OPEN})
        return cursor.fetchall()


@transaction.atomic
def sla_sweep(now=None) -> SweepResult:
    now = now or timezone.now()
    warned = _mark(
        "c.warned_at IS NULL AND c.paused_at IS NULL AND c.warn_at <= %(now)s",
        "warned_at = %(now)s",
        "warning",
        "Peringatan SLA: 75% waktu kerja terpakai",
        "Peringatan SLA",
        now,
    )
    breached = _mark(
        "c.breached_at IS NULL AND c.paused_at IS NULL AND c.sla_due_at <= %(now)s",
        "breached_at = %(now)s, "
        "status = CASE WHEN p.escalate_on_breach THEN 'ESCALATED' ELSE c.status END, "
        "escalation_level = c.escalation_level + CASE WHEN p.escalate_on_breach THEN 1 ELSE 0 END, "
        "warned_at = COALESCE(c.warned_at, %(now)s)",
        "breach",
        "Batas SLA terlampaui",
        "SLA terlampaui",
        now,
    )
    escalated = [row for row in breached if row[3]]
    audit.record_many(
        actor=ACTOR,
        action=AuditAction.ESCALATE_CASE,
        objects=[Case(pk=row[0]) for row in escalated],
        meta_for=lambda case: {"reason": "sla_breach"},
    )
    overdue = _mark(
        "c.regulatory_deadline_at IS NOT NULL AND c.regulatory_overdue_at IS NULL "
        "AND c.regulatory_deadline_at <= %(now)s",
        "regulatory_overdue_at = %(now)s",
        "regulatory",
        "Hari ke-20 (POJK 22/2023) terlewati tanpa penyelesaian",
        "Batas OJK terlewati",
        now,
    )
    return SweepResult(len(warned), len(breached), len(escalated), len(overdue))
