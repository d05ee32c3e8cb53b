"""Service recovery (seed 001 §3, issue 13): the trigger table as data, evaluated set-based on
the case events (breach, close) and by a periodic job (cases past twice their SLA time); one
recovery per case and trigger; PENDING → APPROVED → SENT → CLAIMED / EXPIRED on the workflow
engine, with a supervisor's approval (four eyes) above a configurable value. ``models``
(tables), ``evaluate`` (which cases a trigger fires for, in SQL), ``services`` (every write and
the event handlers), ``selectors`` (the list, the timeline, the metrics). docs/recovery.md."""
