"""The SLA sweep (every minute): warnings at 75 %, breaches at 100 %, escalation by policy,
OJK day-20 flag. Set-based SQL on partial indexes of the open cases, so a run over every open
case costs milliseconds when little is due; idempotent, because each step only touches cases it
has not marked before.

A backlog (say the worker was down for a day) is worked off in batches of ``BATCH_SIZE`` cases,
each in its own short transaction, oldest first: agents editing cases meanwhile wait for one
batch at most, and a case locked by an agent's open transaction is skipped and picked up by the
next batch or the next minute's run.

What each mark leaves behind, and why it scales with the people told, not the cases marked:
- The case's own marks stay per case (``warned_at``, ``breached_at``, ``regulatory_overdue_at``,
  the escalated status and level): the queue, the case page and the reports read them.
- The audit trail keeps one row per escalated case and per OJK day-20 flag (regulatory facts an
  auditor looks up case by case), written with COPY in each batch's transaction.
- The inbox gets ONE digest per recipient (assignee, branch supervisors) per run and step kind,
  "12 kasus melewati batas SLA", linking to the queue filtered to overdue cases; a second run
  marks nothing and so adds nothing. It is written in the transaction of the step's last batch:
  if the run dies halfway, the cases already marked go without a digest (they are in the
  overdue queue all the same), and none is ever sent twice.
- The case's activity log: in a normal per-minute run (at most ``DETAIL_LIMIT`` cases due for
  a step when the step starts) every marked case gets its SLA line, as agents expect to read in
  the case's history when and why it was flagged. A catch-up (more due than that, e.g. after an
  outage) writes one summary line instead, as an audit event naming the step and the
  count: hundreds of thousands of identical lines would say nothing the case's marks (and its
  audit row, for escalations and OJK flags) do not already say, and would cost most of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import OPEN_STATUSES, Case
from amanah.cases.policies import CASE_ASSIGN, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core.actors import IntegrationActor
from amanah.core.roles import RoleKey as R

OPEN = [str(s) for s in OPEN_STATUSES]
# Not a person and not everything: it sees and escalates the open cases of every branch.
ACTOR = IntegrationActor(
    "sla", permissions=(CASE_VIEW, CASE_VIEW_BRANCH, CASE_ASSIGN), all_branches=True
)
BATCH_SIZE = 5000
# Up to this many marks in one step of one run, each marked case gets its own activity line;
# beyond it (a catch-up) one summary line stands for them all.
DETAIL_LIMIT = 500
QUEUE_OVERDUE_URL = "/cases/queue/?overdue=on"


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


@dataclass(frozen=True)
class Step:
    """One mark the sweep sets: which cases, what changes, what the log and inbox say."""

    condition: str  # which cases are due, on columns of cases_case c
    order_by: str  # the column the condition compares with now: oldest first
    set_clause: str
    kind: str
    message: str
    digest: str  # the digest's title after the count, e.g. "kasus melewati batas SLA"


WARNING = Step(
    "c.warned_at IS NULL AND c.paused_at IS NULL AND c.warn_at <= %(now)s",
    "c.warn_at",
    "warned_at = %(now)s",
    "warning",
    "Peringatan SLA: 75% waktu kerja terpakai",
    "kasus mendekati batas SLA (75%)",
)
BREACH = Step(
    "c.breached_at IS NULL AND c.paused_at IS NULL AND c.sla_due_at <= %(now)s",
    "c.sla_due_at",
    "breached_at = %(now)s, "
    "status = CASE WHEN p.escalate_on_breach THEN 'ESCALATED' ELSE c.status END, "
    "escalation_level = c.escalation_level + CASE WHEN p.escalate_on_breach THEN 1 ELSE 0 END, "
    "warned_at = COALESCE(c.warned_at, %(now)s)",
    "breach",
    "Batas SLA terlampaui",
    "kasus melewati batas SLA",
)
REGULATORY = Step(
    "c.regulatory_overdue_at IS NULL AND c.regulatory_deadline_at <= %(now)s",
    "c.regulatory_deadline_at",
    "regulatory_overdue_at = %(now)s",
    "regulatory",
    "Hari ke-20 (POJK 22/2023) terlewati tanpa penyelesaian",
    "kasus melewati hari ke-20 OJK",
)


def _literal(text: str) -> str:
    """A constant of ours inside the SQL text (not a parameter): %-signs doubled."""
    return text.replace("%", "%%").replace("'", "''")


def _is_catch_up(step: Step, now) -> bool:
    """More than DETAIL_LIMIT cases due for ``step`` (counted no further, on the same partial
    indexes the marking uses)."""
    sql = f"""
        SELECT count(*) FROM (
            SELECT 1 FROM cases_case c
             WHERE c.status = ANY(%(open)s) AND {step.condition}
             LIMIT {DETAIL_LIMIT + 1}
        ) due
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "open": OPEN})
        return cursor.fetchone()[0] > DETAIL_LIMIT


def _mark_batch(step: Step, now, *, detail: bool) -> list[tuple]:
    """One statement: mark up to BATCH_SIZE due cases and (with ``detail``) log each one's SLA
    line; returns the marked rows (id, case_no, status, escalate_on_breach)."""
    sql = f"""
        WITH due AS (
            SELECT c.id FROM cases_case c
             WHERE c.status = ANY(%(open)s) AND {step.condition}
             ORDER BY {step.order_by}
             LIMIT {BATCH_SIZE}
               FOR NO KEY UPDATE SKIP LOCKED
        ),
        marked AS (
            UPDATE cases_case c SET {step.set_clause}
              FROM cases_slapolicy p, due
             WHERE c.id = due.id AND p.id = c.sla_policy_id
         RETURNING c.id, c.case_no, c.status, p.escalate_on_breach
        ),
        logged AS (
            INSERT INTO cases_caseactivity
                   (case_id, activity_type, message, actor_label, meta, created_at)
            SELECT id, 'SLA', '{_literal(step.message)}', %(actor)s,
                   jsonb_build_object('kind', '{step.kind}'), %(now)s
              FROM marked
             WHERE %(detail)s
        )
        SELECT id, case_no, status, escalate_on_breach FROM marked
    """
    params = {"now": now, "open": OPEN, "actor": ACTOR.username, "detail": detail}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _notify_digest(step: Step, now, case_ids: list[int]) -> None:
    """One notification per recipient (assignee, branch supervisors) naming how many of the
    run's marked cases are theirs; the run's clock in the key keeps a retry from doubling it."""
    sql = f"""
        WITH supervisors AS ({_supervisors_sql()}),
        marked AS (
            SELECT c.id, c.assigned_to_id, c.branch_id FROM cases_case c
             WHERE c.id = ANY(%(ids)s)
        ),
        recipients AS (
            SELECT m.assigned_to_id AS user_id, m.id FROM marked m
             WHERE m.assigned_to_id IS NOT NULL
             UNION
            SELECT sup.user_id, m.id FROM marked m JOIN supervisors sup USING (branch_id)
        )
        INSERT INTO notifications_notification (user_id, title, body, url, dedupe_key, created_at)
        SELECT user_id, count(*) || ' {_literal(step.digest)}', '', %(url)s, %(key)s, %(now)s
          FROM recipients GROUP BY user_id
        ON CONFLICT (user_id, dedupe_key) DO NOTHING
    """
    params = {
        "now": now,
        "ids": case_ids,
        "url": QUEUE_OVERDUE_URL,
        "key": f"{step.kind}-digest:{now.isoformat()}",
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _summarize(step: Step, now, marked: int) -> None:
    """A catch-up's one summary line, in the trail rather than on hundreds of thousands of
    cases."""
    audit.record(
        actor=ACTOR,
        action=AuditAction.UPDATE_CASE,
        object_type="SLA_SWEEP",
        object_id=step.kind,
        meta={"activity": "SLA_CATCH_UP", "kind": step.kind, "cases": marked, "at": now},
    )


def _audit(action: AuditAction, rows: list[tuple], meta: dict) -> None:
    """One audit row per marked case, in the batch's transaction (so a re-run, which marks
    nothing new, audits nothing new)."""
    audit.record_many(
        actor=ACTOR,
        action=action,
        object_type=Case._meta.label,
        object_ids=[row[0] for row in rows],
        meta_for=lambda case_id: meta,
    )


def _audit_breaches(marked: list[tuple]) -> int:
    """Escalating breaches as ESCALATE_CASE, the others as an SLA_BREACH update."""
    escalated = [row for row in marked if row[3]]
    _audit(AuditAction.ESCALATE_CASE, escalated, {"reason": "sla_breach"})
    _audit(
        AuditAction.UPDATE_CASE, [row for row in marked if not row[3]], {"activity": "SLA_BREACH"}
    )
    return len(escalated)


def _batches(step: Step, now) -> Iterator[list[tuple]]:
    """Mark every due case of ``step``, batch by batch, each in its own transaction; the
    caller's work on a batch (its audit rows) runs inside that batch's transaction, and the
    last batch's transaction also writes the run's digests (and a catch-up's summary line)."""
    catch_up = _is_catch_up(step, now)
    case_ids: list[int] = []
    while True:
        with transaction.atomic():
            rows = _mark_batch(step, now, detail=not catch_up)
            case_ids.extend(row[0] for row in rows)
            yield rows
            if len(rows) < BATCH_SIZE and case_ids:
                _notify_digest(step, now, case_ids)
                if catch_up:
                    _summarize(step, now, len(case_ids))
        if len(rows) < BATCH_SIZE:
            return


def sla_sweep(now=None) -> SweepResult:
    now = now or timezone.now()
    # Breaches first: a case past both its 75 % mark and its due time since the last run (a
    # backlog) gets the breach alone, which also sets warned_at; a warning for a case that
    # is already overdue would only be noise in the inbox and the activity log.
    breached = escalated = 0
    for rows in _batches(BREACH, now):
        breached += len(rows)
        escalated += _audit_breaches(rows)
    warned = sum(len(rows) for rows in _batches(WARNING, now))
    overdue = 0
    for rows in _batches(REGULATORY, now):  # the OJK day-20 flag is a regulatory fact: audited
        overdue += len(rows)
        _audit(AuditAction.UPDATE_CASE, rows, {"activity": "OJK_DAY_20"})
    return SweepResult(warned, breached, escalated, overdue)
