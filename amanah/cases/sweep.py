"""The SLA sweep (every minute): warnings at 75 %, breaches at 100 %, escalation by policy,
OJK day-20 flag. Set-based SQL on partial indexes of the open cases, so a run over every open
case costs milliseconds when little is due; idempotent, because each step only touches cases it
has not marked before.

A backlog (say the worker was down for a day) is worked off in batches of ``BATCH_SIZE`` cases,
each in its own short transaction, oldest first, by ``SLA_SWEEP_LANES`` threads side by side:
agents editing cases meanwhile wait for a batch or two at most (a lane holding its batch may
wait for the audit chain lock while the other lane writes its rows), and a case locked by an
agent's open transaction is skipped and picked up by the next batch or the next minute's run.
An ordinary per-minute run (nothing beyond ``DETAIL_LIMIT`` due) stays on the caller's thread
and connection.

Each case is updated once per run, whatever it is due for (``PASSES``): the breach pass walks the
overdue cases on their partial index and sets, in the same UPDATE, the OJK day-20 flag of those
past day 20 too; the warning pass and the day-20 pass then find only what is left (cases not yet
overdue, paused ones, ones breached in an earlier run). A case update is never HOT (every mark is
in a partial index's condition, which is what keeps the per-minute run to milliseconds) and
touches every one of the table's indexes, so updating a case twice costs twice.

What each mark leaves behind, and why it scales with the people told, not the cases marked:
- The case's own marks stay per case (``warned_at``, ``breached_at``, ``regulatory_overdue_at``,
  the escalated status and level): the queue, the case page and the reports read them.
- The audit trail records each case's regulatory facts (breach, escalation, OJK day 20) in the
  batch's transaction; a day-20 flag set together with the breach is named on the breach's row
  (``ojk_day_20``), not in a row of its own. In a per-minute run one row per case
  (``audit.record_many``: one chain lock, one COPY). In a catch-up one batch row per set of
  facts and batch (``audit.record_batch``), naming its cases' ids: an auditor looking a case
  up by its id (the audit viewer, the UU PDP access export: ``audit.selectors.rows_about``)
  finds it as before, and the catch-up writes ~60 rows instead of ~180,000 (most of its audit
  time, docs/benchmarks.md).
- The inbox gets ONE digest per recipient (assignee, branch supervisors) per run and step kind,
  "12 kasus melewati batas SLA", linking to the queue filtered to overdue cases, and the same
  count by e-mail: the sweep counts per recipient and emits ``cases.sla_digest``; the
  messaging hub queues the messages (IN_APP + EMAIL, keyed by the run's clock). A second run
  marks nothing and so adds nothing. The event is emitted in a transaction of its own once the
  last pass that sets the mark is done: if the run dies before that, the cases already marked
  go without a digest (they are in the overdue queue all the same), and none is ever sent
  twice.
- The case's activity log: in a normal per-minute run (at most ``DETAIL_LIMIT`` cases due for
  a step when the step starts) every marked case gets its SLA line, as agents expect to read in
  the case's history when and why it was flagged. A catch-up (more due than that, e.g. after an
  outage) writes one summary line instead, as an audit event naming the step and the
  count: hundreds of thousands of identical lines would say nothing the case's marks (and its
  audit row, for escalations and OJK flags) do not already say, and would cost most of the run.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import OPEN_STATUSES, Case
from amanah.cases.policies import CASE_ASSIGN, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.cases.sweep_steps import (
    BREACH,
    PASSES,
    REGULATORY,
    STEPS,
    WARNING,  # noqa: F401 (the bench names it as sweep.WARNING)
    Pass,
    Step,
)
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.roles import RoleKey as R

OPEN = [str(s) for s in OPEN_STATUSES]
# Not a person and not everything: it sees and escalates the open cases of every branch.
ACTOR = declare_actor(
    "sla", permissions=(CASE_VIEW, CASE_VIEW_BRANCH, CASE_ASSIGN), all_branches=True
)
BATCH_SIZE = 5000
# Up to this many marks in one step of one run, each marked case gets its own activity line;
# beyond it (a catch-up) one summary line stands for them all.
DETAIL_LIMIT = 500
QUEUE_OVERDUE_URL = "/cases/queue/?overdue=on"
# fn(*, actor, kind, title, at, url, counts): a run's digest of one step (declared in the
# contract; the messaging hub queues the staff messages).
SLA_DIGEST = "cases.sla_digest"


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


def _mark_batch(pass_: Pass, now, detail: dict[str, bool]) -> list[tuple]:
    """One statement: mark up to BATCH_SIZE cases due for the pass's step, with every rider
    mark due on them too, and log each mark's SLA line where ``detail[kind]``. Returns the
    marked rows: (id as text, escalate_on_breach, branch, assignee, then one flag per rider:
    set?); the id as text, because it only goes on into the audit rows, and a
    catch-up's 200,000 UUIDs parsed and printed again cost over a second."""
    step = pass_.step
    flags = "".join(f", ({r.condition}) AS {r.kind}" for r in pass_.riders)
    sets = "".join(
        f", {r.column} = CASE WHEN due.{r.kind} THEN %(now)s ELSE c.{r.column} END"
        for r in pass_.riders
    )
    returned = "".join(f", due.{r.kind}" for r in pass_.riders)
    riders = "".join(f", {r.kind}" for r in pass_.riders)
    lines = " UNION ALL ".join(
        f"""SELECT id, 'SLA', '{_literal(s.message)}', %(actor)s,
                   jsonb_build_object('kind', '{s.kind}'), %(now)s
              FROM marked WHERE %(detail_{s.kind})s{"" if s is step else f" AND {s.kind}"}"""
        for s in pass_.steps()
    )
    sql = f"""
        WITH due AS (
            SELECT c.id{flags} FROM cases_case c
             WHERE c.status = ANY(%(open)s) AND {step.condition}
             ORDER BY {step.order_by}
             LIMIT {BATCH_SIZE}
               FOR NO KEY UPDATE SKIP LOCKED
        ),
        marked AS (
            UPDATE cases_case c SET {step.set_clause}{sets}
              FROM cases_slapolicy p, due
             WHERE c.id = due.id AND p.id = c.sla_policy_id
         RETURNING c.id, p.escalate_on_breach, c.branch_id, c.assigned_to_id{returned}
        ),
        logged AS (
            INSERT INTO cases_caseactivity
                   (case_id, activity_type, message, actor_label, meta, created_at)
            {lines}
        )
        SELECT id::text, escalate_on_breach, branch_id, assigned_to_id{riders}
          FROM marked
    """
    params = {"now": now, "open": OPEN, "actor": ACTOR.username}
    params.update({f"detail_{kind}": value for kind, value in detail.items()})
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks(pass_: Pass, row: tuple) -> list[Step]:
    """The marks a returned row got: the pass's step, and each rider whose flag is set."""
    riders = [rider for rider, flag in zip(pass_.riders, row[4:], strict=True) if flag]
    return [pass_.step, *riders]


def _notify_digest(step: Step, now, marked: Counter) -> None:
    """One digest per recipient (assignee, branch supervisors) naming how many of the run's
    marked cases are theirs, handed to the messaging hub as one event (``SLA_DIGEST``: step
    kind, run clock, [(user id, count), …]), which queues one IN_APP and one EMAIL message per
    recipient keyed by the run's clock, so a retry adds none. Per recipient, never per case.

    Counted from the run's tally of marked cases per (branch, assignee) and the supervisors
    covering those branches now: a catch-up marks ~200,000 cases, and reading them back by id
    cost it seconds. A user who is both a case's assignee and its branch's supervisor counts
    it once."""
    sql = f"SELECT branch_id, user_id FROM ({_supervisors_sql()}) s WHERE branch_id = ANY(%(b)s)"
    supervisors: dict = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "b": sorted({branch for branch, _ in marked})})
        for branch, user in cursor.fetchall():
            supervisors[branch].add(user)
    per_user: Counter = Counter()
    for (branch, assignee), cases in marked.items():
        for user in supervisors[branch] | ({assignee} if assignee else set()):
            per_user[user] += cases
    counts = [[str(user), n] for user, n in sorted(per_user.items(), key=lambda i: str(i[0]))]
    if counts:
        events.emit(
            SLA_DIGEST,
            actor=ACTOR,
            kind=step.kind,
            title=step.digest,
            at=now.isoformat(),
            url=QUEUE_OVERDUE_URL,
            counts=counts,
        )


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


def _audit(action: AuditAction, case_ids: list, meta: dict, *, bulk: bool) -> None:
    """The audit of ``case_ids``, in the batch's transaction (so a re-run, which marks nothing
    new, audits nothing new): one row per case, or in a catch-up (``bulk``) one batch row
    naming them all, which the trail finds by each case's id as it finds the case's own rows."""
    kwargs = {"actor": ACTOR, "action": action, "object_type": Case._meta.label, "meta": meta}
    if bulk:
        audit.record_batch(object_ids=case_ids, **kwargs)
    else:
        audit.record_many(object_ids=case_ids, **kwargs)


# The regulatory facts a run sets on one case, and the one audit row that records them:
# (breached, escalated, OJK day 20) -> (action, meta). Warnings are in the case's marks and log
# only. A day-20 flag set in the same UPDATE as the breach rides on the breach's row, so each
# case has one row per run naming every fact the run set on it (found by the case's id, as
# before) and a catch-up writes ~40 % fewer rows.
_AUDIT_OF_FACTS = {
    (True, True, False): (AuditAction.ESCALATE_CASE, {"reason": "sla_breach"}),
    (True, True, True): (AuditAction.ESCALATE_CASE, {"reason": "sla_breach", "ojk_day_20": True}),
    (True, False, False): (AuditAction.UPDATE_CASE, {"activity": "SLA_BREACH"}),
    (True, False, True): (AuditAction.UPDATE_CASE, {"activity": "SLA_BREACH", "ojk_day_20": True}),
    (False, False, True): (AuditAction.UPDATE_CASE, {"activity": "OJK_DAY_20"}),
}


def _audit_batch(pass_: Pass, rows: list[tuple], *, bulk: bool) -> int:
    """The batch's regulatory facts (``_AUDIT_OF_FACTS``): one audit row per case, or in a
    catch-up (``bulk``) one row per set of facts naming its cases. Returns how many were
    escalated."""
    by_facts: dict[tuple, list] = {}
    for row in rows:
        marks = _marks(pass_, row)
        breached = BREACH in marks
        facts = (breached, breached and bool(row[1]), REGULATORY in marks)
        if facts in _AUDIT_OF_FACTS:
            by_facts.setdefault(facts, []).append(row[0])
    for facts, case_ids in by_facts.items():
        action, meta = _AUDIT_OF_FACTS[facts]
        _audit(action, case_ids, meta, bulk=bulk)
    return sum(len(ids) for facts, ids in by_facts.items() if facts[1])


@dataclass
class _Run:
    """One sweep's clock, which marks it details case by case, and how many cases it marked
    per mark and (branch, assignee): all its digests and summary lines need."""

    now: object
    detail: dict[str, bool] = field(default_factory=dict)
    marked: dict[str, Counter] = field(default_factory=lambda: {s.kind: Counter() for s in STEPS})
    _lock: threading.Lock = field(default_factory=threading.Lock)  # lanes count side by side

    def count(self, pass_: Pass, rows: list[tuple]) -> None:
        """Add a batch's marked rows to the tally."""
        tally = Counter((step.kind, row[2], row[3]) for row in rows for step in _marks(pass_, row))
        with self._lock:
            for (kind, branch, assignee), cases in tally.items():
                self.marked[kind][branch, assignee] += cases

    def total(self, kind: str) -> int:
        return sum(self.marked[kind].values())

    def start(self, pass_: Pass) -> None:
        """Decide, when a mark is first met, whether this run details it: a mark is counted
        when its first pass starts (the warning after the breaches took their cases)."""
        for step in pass_.steps():
            if step.kind not in self.detail:
                self.detail[step.kind] = not _is_catch_up(step, self.now)

    def is_catch_up(self, pass_: Pass) -> bool:
        """More due for one of the pass's marks than a run details case by case."""
        return any(not self.detail[step.kind] for step in pass_.steps())

    def finish(self, pass_: Pass) -> None:
        """Each mark's digests (and a catch-up's summary line) once its last pass is done."""
        for step in pass_.steps():
            if _last_pass(step) is pass_ and self.marked[step.kind]:
                _notify_digest(step, self.now, self.marked[step.kind])
                if not self.detail[step.kind]:
                    _summarize(step, self.now, self.total(step.kind))


def _last_pass(step: Step) -> Pass:
    return [pass_ for pass_ in PASSES if step in pass_.steps()][-1]


def _work_off(pass_: Pass, run: _Run) -> int:
    """Mark every case due for the pass that no other transaction holds, batch by batch, each
    batch with its audit rows in its own transaction; returns how many it escalated. Several
    lanes may run this side by side: ``SKIP LOCKED`` gives each batch rows no other lane has,
    and a lane stops at its first short batch (what it could not take was being marked by
    another lane, or is held by an agent and waits for the next minute's run)."""
    escalated = 0
    while True:
        with transaction.atomic():
            rows = _mark_batch(pass_, run.now, run.detail)
            run.count(pass_, rows)
            escalated += _audit_batch(pass_, rows, bulk=run.is_catch_up(pass_))
        if len(rows) < BATCH_SIZE:
            return escalated


def _in_lanes(lanes: int, work: Callable[[], int]) -> int:
    """``work()`` on ``lanes`` threads at once, each on its own database connection, summed.

    Why: a catch-up is one long walk of short statements, and while one lane's batch writes its
    audit rows (Python, then COPY under the chain lock) the other's UPDATE runs in the
    database on the second core (docs/benchmarks.md, "SLA catch-up"). One lane runs on the
    caller's thread and connection (the tests, whose data only their own transaction sees)."""
    if lanes <= 1:
        return work()
    results: list[int] = []
    errors: list[BaseException] = []

    def lane() -> None:
        try:
            results.append(work())
        except BaseException as error:  # noqa: BLE001 (re-raised on the caller's thread)
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=lane, name=f"sla-sweep-{n}") for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(results)


def sla_sweep(now=None, *, lanes: int | None = None) -> SweepResult:
    """One run over every pass; ``lanes`` (default ``SLA_SWEEP_LANES``) walk each pass side by
    side. A pass's digests (and a catch-up's summary line) are written once all its lanes are
    done, in a transaction of their own: a run that dies before that leaves its marked cases
    without a digest (they are in the overdue queue all the same), and none is sent twice."""
    run = _Run(now or timezone.now())
    # Lanes commit batches of their own: inside a caller's transaction they could neither see
    # its rows nor take a lock it holds (the audit chain's), and the caller would wait for them
    # for ever. There, the caller's connection does all the work.
    lanes = 1 if connection.in_atomic_block else lanes or settings.SLA_SWEEP_LANES
    escalated = 0
    for pass_ in PASSES:
        run.start(pass_)
        # At most DETAIL_LIMIT due: one batch, on this thread's connection (a per-minute run
        # opens no connections). A catch-up gets the lanes.
        pass_lanes = lanes if run.is_catch_up(pass_) else 1
        escalated += _in_lanes(pass_lanes, lambda pass_=pass_: _work_off(pass_, run))
        with transaction.atomic():
            run.finish(pass_)
    counts = {kind: run.total(kind) for kind in run.marked}
    return SweepResult(counts["warning"], counts["breach"], escalated, counts["regulatory"])
