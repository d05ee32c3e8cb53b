"""The SLA sweep's steps as data (``cases.sweep`` walks them): each mark it sets — the 75 %
warning, the breach (with the escalation the policy asks for), the OJK day-20 flag — as the
condition on the open cases' columns, the change and the words; and the passes that walk them,
breaches first, with the marks that ride along on the same UPDATE."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One mark the sweep sets: which cases, what changes, what the log and inbox say."""

    condition: str  # which cases are due, on columns of cases_case c
    order_by: str  # the column the condition compares with now: oldest first
    set_clause: str
    kind: str
    message: str
    digest: str  # the digest's title after the count, e.g. "kasus melewati batas SLA"
    column: str  # the mark's own time column (a step riding along sets only this one)


WARNING = Step(
    "c.warned_at IS NULL AND c.paused_at IS NULL AND c.warn_at <= %(now)s",
    "c.warn_at",
    "warned_at = %(now)s",
    "warning",
    "Peringatan SLA: 75% waktu kerja terpakai",
    "kasus mendekati batas SLA (75%)",
    "warned_at",
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
    "breached_at",
)
REGULATORY = Step(
    "c.regulatory_overdue_at IS NULL AND c.regulatory_deadline_at <= %(now)s",
    "c.regulatory_deadline_at",
    "regulatory_overdue_at = %(now)s",
    "regulatory",
    "Hari ke-20 (POJK 22/2023) terlewati tanpa penyelesaian",
    "kasus melewati hari ke-20 OJK",
    "regulatory_overdue_at",
)
STEPS = (WARNING, BREACH, REGULATORY)


@dataclass(frozen=True)
class Pass:
    """One walk over the due cases of ``step`` (on its partial index, oldest first) that also
    sets each ``rider`` mark due on the same case: one UPDATE per case, not one per mark."""

    step: Step
    riders: tuple[Step, ...] = ()

    def steps(self) -> tuple[Step, ...]:
        return (self.step, *self.riders)


# Breaches first: a case past both its 75 % mark and its due time since the last run (a
# backlog) gets the breach alone, which also sets warned_at; a warning for a case that is
# already overdue would only be noise in the inbox and the activity log. An overdue case past
# OJK day 20 gets its day-20 flag in the same UPDATE; the last pass flags the rest (paused
# cases, cases breached in an earlier run).
PASSES = (Pass(BREACH, riders=(REGULATORY,)), Pass(WARNING), Pass(REGULATORY))
