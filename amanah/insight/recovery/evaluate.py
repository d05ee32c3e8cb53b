"""Which cases a trigger fires for, in SQL: one INSERT … SELECT per occasion, whatever the
number of cases (the SLA sweep marks up to 300,000 cases in one catch-up and emits only a
digest per run, so nothing here is ever called per case in bulk).

Each statement joins the cases in question to the active triggers of one event whose
condition holds (``ANY``; the case's category code; the customer's latest RFM segment, read on
the RFM scores' primary key (customer, run)) and inserts one PENDING recovery per case and
trigger. ``ON CONFLICT (case, trigger) DO NOTHING`` on the unique constraint makes every path
idempotent: the same event twice, a retried job, the periodic scan meeting a case the digest
already handled, and two of them at once.

"Twice the SLA" (seed 001 §3 "> 2x SLA") is measured on the case's own clock: the allowed
span is ``sla_due_at − received_at`` (working time already turned into a due moment by
``calendars`` when the case was taken, extensions and pauses included), so a case is past
twice its SLA once ``now ≥ sla_due_at + (sla_due_at − received_at)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from amanah.cases.models import OPEN_STATUSES
from amanah.insight.recovery.models import TriggerEvent

OPEN = [str(s) for s in OPEN_STATUSES]

_MATCHES = """
    (t.condition_kind = 'ANY'
     OR (t.condition_kind = 'CATEGORY' AND c.category_id = t.condition_value)
     OR (t.condition_kind = 'RFM_SEGMENT' AND t.condition_value = (
            SELECT s.segment FROM insight_rfmscore s
             WHERE s.customer_id = c.customer_id
             ORDER BY s.run_id DESC LIMIT 1)))
"""

_TWICE_DUE = "c.sla_due_at + (c.sla_due_at - c.received_at)"


@dataclass(frozen=True)
class Created:
    """One recovery the statement inserted (what audit and notices need, no PII)."""

    id: str
    branch_id: object
    trigger_id: str
    event: str
    action: str
    value: int


def _insert(event: str, cases_where: str, params: dict, proposed_by=None, label="") -> list:
    sql = f"""
        INSERT INTO insight_servicerecovery
               (id, case_id, customer_id, branch_id, trigger_id, trigger_event, action,
                estimated_value, status, proposed_by_id, proposed_by_label, created_at)
        SELECT gen_random_uuid(), c.id, c.customer_id, c.branch_id, t.code, t.event, t.action,
               t.estimated_value, 'PENDING', %(proposed_by)s, %(label)s, %(now)s
          FROM cases_case c
          JOIN insight_recoverytrigger t ON t.active AND t.event = %(event)s AND {_MATCHES}
         WHERE {cases_where}
         ORDER BY c.id, t.code
        ON CONFLICT (case_id, trigger_id) DO NOTHING
        RETURNING id::text, branch_id, trigger_id, trigger_event, action, estimated_value
    """
    params = {**params, "event": event, "proposed_by": proposed_by, "label": label[:150]}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Created(*row) for row in cursor.fetchall()]


def _any_active(event: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM insight_recoverytrigger WHERE active AND event = %s)",
            [event],
        )
        return cursor.fetchone()[0]


def breaches_of_run(at, now) -> list[Created]:
    """The cases one sweep run marked breached (``breached_at`` is the run's clock)."""
    if not _any_active(TriggerEvent.BREACHED):
        return []
    return _insert(TriggerEvent.BREACHED, "c.breached_at = %(at)s", {"at": at, "now": now})


def breaches_since(since, now) -> list[Created]:
    """Every case breached since ``since`` that is still without its recoveries: the periodic
    scan's safety net for a run whose digest was lost (the sweep emits it once its last pass
    is done; a run that dies before that marks cases and tells nobody)."""
    if not _any_active(TriggerEvent.BREACHED):
        return []
    return _insert(
        TriggerEvent.BREACHED,
        "c.breached_at >= %(since)s AND c.breached_at <= %(now)s",
        {"since": since, "now": now},
    )


def over_twice_sla(now) -> list[Created]:
    """Open cases now past twice their SLA (not paused: a paused case's clock stands still).
    Read on the open-case queue index (``sla_due_at`` ≤ now bounds it to overdue cases)."""
    if not _any_active(TriggerEvent.OVER_2X_SLA):
        return []
    return _insert(
        TriggerEvent.OVER_2X_SLA,
        f"c.status = ANY(%(open)s) AND c.paused_at IS NULL AND c.sla_due_at <= %(now)s"
        f" AND {_TWICE_DUE} <= %(now)s",
        {"open": OPEN, "now": now},
    )


def one_closed_case(case, now, proposed_by=None, label="") -> list[Created]:
    """A case just closed: the CLOSED triggers, and OVER_2X_SLA when it was closed past twice
    its SLA (the periodic scan may not have met it while it was open)."""
    created = _insert(
        TriggerEvent.CLOSED, "c.id = %(case)s", {"case": case.pk, "now": now}, proposed_by, label
    )
    created += _insert(
        TriggerEvent.OVER_2X_SLA,
        f"c.id = %(case)s AND c.closed_at >= {_TWICE_DUE}",
        {"case": case.pk, "now": now},
        proposed_by,
        label,
    )
    return created
