"""The journey engine: advance the *due* enrollments, set-based, in batches.

``tick(now=…)`` runs ``advance_batch`` until no due enrollment is left (or ``max_batches``).
A batch is one transaction:

1. pick up to ``limit`` ACTIVE enrollments whose ``due_at`` has come, of journey versions
   that advance (ACTIVE, or COMPLETED: draining), ``FOR UPDATE SKIP LOCKED`` — several
   workers share the work, none waits for another;
2. in rounds, group the picked enrollments by the node they stand at and apply the node's
   effect to the whole group at once (below), write one step row per enrollment and node
   (``journey_step_once``), and move the group on along the edge each one takes: to a WAIT
   node with its end as ``due_at``, to any other node due at once — so the next round carries
   them further, until every one of the batch waits or has ended (the graph has no cycles:
   at most as many rounds as nodes). The walk is kept in memory and written at the end of
   the batch (``Walk``): each enrollment's row once (one UPDATE from arrays) and every step
   row of the batch in one INSERT;
3. one audit row with the counts (no identifiers).

Idempotent: the batch commits or rolls back whole, so a worker killed in the middle leaves
nothing behind and the re-run batch does the same work once; the effects carry unique keys
of their own besides (the step row per enrollment and node; the outbox's idempotency key
``(JOURNEY, journey version, customer, channel, node key)``), so even a step replayed on its
own queues nothing twice.

Node effects, each for a group of enrollments at one node:

* TRIGGER — pass; WAIT — pass (it is due: its time ran out, or the event came);
* ACTION — the channel of each customer by messaging's one rule in its set form
  (``messaging.contract.channel_choices``: the node's channel, then the other channels its
  template was approved on at activation, ``template_versions``; the customer's preferred
  channel for OFFER first; the first one consent's contactability allows, every channel
  asked in one statement): nobody reachable exits the enrollment with the reason of the
  first channel of their order (marketing consent withdrawn → ``CONSENT_WITHDRAWN``;
  do-not-contact, inactive, another blocker); no address on any channel exits with
  ``NO_ADDRESS``; the rest get that channel's template version (frozen at activation) queued
  through the messaging hub, one ``message_queue_template_many`` call per channel and entry
  (which asks contactability again with the contact window: outside it the message waits);
* BRANCH — the condition evaluated over the group in one query (``conditions.matching``);
* SPLIT — a stable hash of (journey key, node key, customer) picks the variant, so a retry
  or a new version never changes a customer's variant;
* UPDATE — a tag through ``services.tags_add``, or a customer field (the segment code)
  through customers' ``customer_update``, one customer at a time;
* END — the enrollment completes with the node's reason.

A node's effect that raises does not stop the batch: it runs in a savepoint, and on failure
the group is halved and each half tried again, down to single enrollments; those that fail
alone are quarantined (status
ERROR, reason STEP_FAILED and the kind of error; an ACTION whose template is no longer approved:
TEMPLATE_UNAVAILABLE). The engine never picks an ERROR enrollment again; the journey's owner
sees them in the quarantine list and retries or ends each (``services.enrollment_retry`` /
``enrollment_end``, audited).

The clock is injectable: ``now`` is the engine's "now" for due times, waits and messages.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.customers.policies import CUSTOMER_MANAGE, CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH
from amanah.journeys.graph import UNITS
from amanah.journeys.models import (
    ADVANCING,
    EnrollmentStatus,
    ExitReason,
    JourneyEdge,
    JourneyNode,
    MarketingJourney,
    NodeType,
    StepOutcome,
)
from amanah.journeys.policies import JOURNEY_RUN, JOURNEY_VIEW

ENGINE = declare_actor("journey-engine", permissions=(JOURNEY_VIEW, JOURNEY_RUN))
# UPDATE nodes that set a customer field act through customers' service with this actor:
# only customer view (the branch's, not a portfolio's) and manage, bank-wide (journeys are).
UPDATER = declare_actor(
    "journey-customer-update",
    permissions=(CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH, CUSTOMER_MANAGE),
    all_branches=True,
)
# Enrollments a batch (one transaction) picks. 10,000: the per-batch costs (the pick's walk
# over the due index, the graph, template and calendar reads, an audit row, the commit) are
# paid ten times a 100,000 tick instead of fifty, and the rest of a batch is set-based. Safe
# at that size: the ids travel as text parameters (``core.sqlparams``), the offers are
# rendered a thousand at a time, a failing effect is isolated by halving (not one retry per
# enrollment), and the rows stay locked a few seconds at most — what waits on them is a
# WAIT-until-event wake of one of those customers, and other workers skip them.
BATCH = 10_000

# What contactability's refusals mean for an enrollment at an ACTION.
EXIT_FOR_REASON = {
    "NO_CONSENT": ExitReason.CONSENT_WITHDRAWN,
    "CHANNEL_WITHDRAWN": ExitReason.CONSENT_WITHDRAWN,
    "DO_NOT_CONTACT": ExitReason.DO_NOT_CONTACT,
    "CUSTOMER_INACTIVE": ExitReason.CUSTOMER_INACTIVE,
}


@dataclass
class Outcome:
    """What a node did to a group: who passed along which edge, who left and why."""

    passed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    exited: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    ended: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Quarantined (ERROR): (reason, detail) → enrollments; the engine does not retry them.
    failed: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter = field(default_factory=Counter)


class Row(NamedTuple):
    """An enrollment of the batch as the walk carries it (a tuple: a batch makes some
    hundred thousand of them)."""

    enrollment: int
    customer: str
    event_at: datetime | None
    entry: int = 1


def message_step(node_key: str, entry: int) -> str:
    """The outbox step of a node's message: the node key for a first pass, ``key~n`` for the
    n-th pass of a customer who re-entered (a new message, not the first pass's replay —
    the outbox's idempotency key includes the step)."""
    return node_key if entry <= 1 else f"{node_key}~{entry}"


# --------------------------------------------------------------------------- the graph


class Graph:
    """The nodes and edges of the journey versions a batch touches, read once per batch."""

    def __init__(self, journey_ids):
        self.journeys = {j.pk: j for j in MarketingJourney.objects.filter(pk__in=journey_ids)}
        self.nodes = {n.pk: n for n in JourneyNode.objects.filter(journey_id__in=journey_ids)}
        self.next: dict[tuple[int, str], int] = {
            (e.source_id, e.label): e.target_id
            for e in JourneyEdge.objects.filter(journey_id__in=journey_ids)
        }


def wait_due(node: JourneyNode, now: datetime) -> datetime:
    """When a customer arriving at WAIT ``node`` at ``now`` is due again."""
    config = node.config
    if config["mode"] == "DURATION":
        return now + UNITS[config["unit"]] * config["value"]
    if config["mode"] == "UNTIL_DATE":
        return max(datetime.fromisoformat(config["date"]), now)
    return now + UNITS[config["timeout_unit"]] * config["timeout_value"]  # UNTIL_EVENT


def variant_of(journey_key, node_key: str, customer_id, variants: list[dict]) -> str:
    """The SPLIT variant of a customer: a stable hash into 0–99, cut by the percentages."""
    digest = hashlib.sha256(f"{journey_key}:{node_key}:{customer_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    edge = 0
    for variant in variants:
        edge += variant["percentage"]
        if bucket < edge:
            return variant["name"]
    return variants[-1]["name"]


# --------------------------------------------------------------------------- node effects


def _customers_of(ids):
    """The customers of ``ids`` as a queryset, the ids sent as one text parameter
    (``core.sqlparams``: thousands of ``IN`` parameters, or an array bound value by value,
    cost more to build, bind and parse than the query)."""
    from amanah.customers.models import Customer

    return Customer.objects.filter(pk__in=uuid_rows(id_text(ids)))


def _customers(rows: list[Row]):
    return _customers_of(r.customer for r in rows)


def _pass_all(rows, label: str = "") -> Outcome:
    outcome = Outcome()
    outcome.passed[label] = [r.enrollment for r in rows]
    return outcome


def _wait(node, journey, rows, now) -> Outcome:
    outcome = _pass_all(rows)
    if node.config.get("mode") == "UNTIL_EVENT":
        outcome.counts["event"] = sum(1 for r in rows if r.event_at is not None)
        outcome.counts["timeout"] = len(rows) - outcome.counts["event"]
    return outcome


def choice_exit(reason: str) -> str:
    """The exit reason of a customer messaging's channel rule found no channel for (its
    ``ChannelChoice.reason``). The ACTION node and the audience preview
    (``selectors.audience_preview``) both ask it here."""
    from amanah.messaging.contract import NO_ADDRESS

    if reason == NO_ADDRESS or not reason:
        return ExitReason.NO_ADDRESS
    return EXIT_FOR_REASON.get(reason, ExitReason.NOT_CONTACTABLE)


def _action(node, journey, rows, now) -> Outcome:
    from amanah.consent.contract import Purpose
    from amanah.messaging.contract import (
        MessageSource,
        TemplateNotApproved,
        approved_version_number,
        channel_choices,
        message_queue_template_many,
    )

    outcome = Outcome()
    channel, config = node.config["channel"], node.config
    by_customer = {r.customer: r.enrollment for r in rows}
    try:
        versions = {
            channel: approved_version_number(
                config["template"], channel, config.get("template_version") or 0
            )
        }
    except TemplateNotApproved:
        # An operator can fix this (approve the template again) and retry: quarantine.
        outcome.failed[(ExitReason.TEMPLATE_UNAVAILABLE, "template")] = list(by_customer.values())
        return outcome
    from amanah.marketing.models import in_sendable_order

    others = config.get("template_versions") or {}
    for other in in_sendable_order(others):
        try:  # another channel's version no longer approved: that channel is left out
            versions[other] = approved_version_number(config["template"], other, others[other])
        except TemplateNotApproved:
            continue
    choices = channel_choices(_customers(rows), Purpose.OFFER, tuple(versions))
    entry_of = {r.customer: r.entry for r in rows}
    # By entry (each pass its own message step) and channel.
    allowed: dict[tuple[int, str], list] = defaultdict(list)
    for pk, choice in choices.items():
        enrollment = by_customer[str(pk)]
        if choice.channel:
            allowed[(entry_of[str(pk)], choice.channel)].append(pk)
            outcome.passed[""].append(enrollment)
        else:
            outcome.exited[choice_exit(choice.reason)].append(enrollment)
    for (entry, on), customers in sorted(allowed.items()):
        counts = message_queue_template_many(
            actor=ENGINE,
            customers=_customers_of(str(pk) for pk in customers),
            version=versions[on],
            context={"campaign": journey, "promo": {"code": config.get("promo_code", "")}},
            channel=on,
            purpose=Purpose.OFFER,
            source=MessageSource.JOURNEY,
            source_id=str(journey.pk),
            step=message_step(node.key, entry),
            at=now,
        )
        outcome.counts["queued"] += counts["queued"]
        outcome.counts["waiting"] += counts["waiting"]
        outcome.counts["already_queued"] += counts["already_queued"]
    return outcome


def _branch(node, journey, rows, now) -> Outcome:
    from amanah.journeys.conditions import matching

    by_entry: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_entry[r.entry].append(r)
    yes = {
        str(pk)
        for entry, group in by_entry.items()
        for pk in matching(
            node.config["condition"], _customers(group), journey, entry=entry
        ).values_list("pk", flat=True)
    }
    outcome = Outcome()
    for r in rows:
        outcome.passed["YES" if r.customer in yes else "NO"].append(r.enrollment)
    return outcome


def _split(node, journey, rows, now) -> Outcome:
    outcome = Outcome()
    variants = node.config["variants"]
    promoted = (node.config.get("promoted") or {}).get("variant")
    if promoted:  # the A/B winner rolled out (services.split_promote): everyone new gets it
        outcome.passed[promoted] = [r.enrollment for r in rows]
        return outcome
    for r in rows:
        outcome.passed[variant_of(journey.key, node.key, r.customer, variants)].append(r.enrollment)
    return outcome


def _update(node, journey, rows, now) -> Outcome:
    from amanah.journeys.services import tags_add

    outcome = _pass_all(rows)
    if node.config.get("kind") == "field":
        outcome.counts["updated"] = _update_field(node, rows)
        return outcome
    outcome.counts["tagged"] = tags_add(
        actor=ENGINE,
        customer_ids=[r.customer for r in rows],
        tag=node.config["tag"],
        journey=journey,
        at=now,
    )
    return outcome


def _update_field(node, rows) -> int:
    """Set a customer field through customers' own service (``customer_update``: its checks,
    its audit row and its ``customer_updated`` event), one customer at a time — a field is
    master data, so no shortcut past its owner. A customer whose record refuses the change
    raises: the engine quarantines that enrollment alone."""
    from dataclasses import replace

    from amanah.customers.services import customer_input_of, customer_update

    name, value = node.config["field"], node.config["value"]
    changed = 0
    for person in _customers(rows).select_related("home_branch").order_by("pk"):
        if getattr(person, name) == value:
            continue
        data = replace(customer_input_of(person), **{name: value})
        customer_update(actor=UPDATER, customer=person, data=data)
        changed += 1
    return changed


def _end(node, journey, rows, now) -> Outcome:
    outcome = Outcome()
    outcome.ended[node.config.get("reason", "FINISHED")] = [r.enrollment for r in rows]
    return outcome


EFFECTS = {
    NodeType.TRIGGER: lambda node, journey, rows, now: _pass_all(rows),
    NodeType.WAIT: _wait,
    NodeType.ACTION: _action,
    NodeType.BRANCH: _branch,
    NodeType.SPLIT: _split,
    NodeType.UPDATE: _update,
    NodeType.END: _end,
}


# --------------------------------------------------------------------------- moving


PICK_SQL = """
    SELECT e.id FROM journeys_journeyenrollment e
     WHERE e.status = 'ACTIVE' AND e.due_at <= %(now)s
       AND e.journey_id IN (SELECT id FROM journeys_marketingjourney
                             WHERE status = ANY(%(advancing)s))
     ORDER BY e.due_at
     LIMIT %(limit)s
       FOR UPDATE OF e SKIP LOCKED
"""

DUE_SQL = """
    SELECT id, customer_id::text, current_node_id, journey_id, event_at, entry
      FROM journeys_journeyenrollment
     WHERE id = ANY(string_to_array(%(ids)s, ',')::bigint[])
       AND status = 'ACTIVE' AND due_at <= %(now)s
"""

# Every step row of the batch in one statement (``Walk.write``): the walk's groups (journey,
# node, outcome, branch, reason) as short arrays, each group's enrollments as one text
# parameter (``core.sqlparams``: an array of 8,000 ids bound value by value cost more than the
# INSERT). In enrollment order: the unique index grows in order.
STEPS_SQL = """
    INSERT INTO journeys_journeystep (journey_id, enrollment_id, node_id, outcome, branch,
                                      reason, at)
    SELECT g.journey, e.id, g.node, g.outcome, g.branch, g.reason, %(now)s
      FROM unnest(%(journeys)s::uuid[], %(nodes)s::bigint[], %(outcomes)s::text[],
                  %(branches)s::text[], %(reasons)s::text[], %(ids)s::text[])
           AS g(journey, node, outcome, branch, reason, ids)
     CROSS JOIN LATERAL unnest(string_to_array(g.ids, ',')::bigint[]) AS e(id)
     ORDER BY e.id
"""
# A step row already there (the triggers' exit recorded the enrollment at its node, a
# replayed step): skipped — the fallback of the plain INSERT above, which is tried first
# (``Walk.write``): ``ON CONFLICT`` pays a speculative insertion per row (the unique index
# probed before the heap insert, then confirmed) for a conflict that almost never happens.
STEPS_SKIPPING_SQL = STEPS_SQL + "    ON CONFLICT (enrollment_id, node_id) DO NOTHING\n"

# The batch's walk is kept in memory and each enrollment written once at the end (``Walk``):
# an enrollment passing five nodes in one batch was five row versions (its indexed node and
# due time change, so no HOT update); now it is one. The enrollments that end the same way
# (node, status, due time, end, reason) form a group, sent like the steps' groups.
WRITE_SQL = """
    UPDATE journeys_journeyenrollment e
       SET current_node_id = f.node, status = f.status, due_at = f.due, ended_at = f.ended,
           exit_reason = CASE WHEN f.status = 'ACTIVE' THEN e.exit_reason ELSE f.reason END,
           error_detail = CASE WHEN f.status = 'ERROR' THEN f.detail ELSE e.error_detail END,
           arrived_at = CASE WHEN f.moved THEN %(now)s ELSE e.arrived_at END,
           event_at = CASE WHEN f.moved THEN NULL ELSE e.event_at END
      FROM (SELECT g.node, g.status, g.due, g.ended, g.reason, g.detail, g.moved,
                   unnest(string_to_array(g.ids, ',')::bigint[]) AS id
              FROM unnest(%(nodes)s::bigint[], %(statuses)s::text[], %(dues)s::timestamptz[],
                          %(endeds)s::timestamptz[], %(reasons)s::text[], %(details)s::text[],
                          %(moved)s::boolean[], %(ids)s::text[])
                   AS g(node, status, due, ended, reason, detail, moved, ids)) f
     WHERE e.id = f.id
"""


class Walk:
    """Where each enrollment of a batch stands after the rounds: its node, status, due time,
    end, reason and whether it moved — and the step rows of the nodes it passed; written in
    two statements (``write``)."""

    def __init__(self, rows: dict[int, Row]):
        self.rows = rows  # enrollment → Row (to carry it on to the next round)
        self.state: dict[int, tuple] = {}
        # Step rows by (journey, node, outcome, branch, reason) → enrollments.
        self.steps: dict[tuple, list[int]] = defaultdict(list)

    def step(self, node, ids, outcome: str, *, branch: str = "", reason: str = "") -> None:
        self.steps[(node.journey_id, node.pk, str(outcome), branch, str(reason))].extend(ids)

    def move(self, ids, target: int, due) -> None:
        moved = (target, str(EnrollmentStatus.ACTIVE), due, None, "", "", True)
        for i in ids:
            self.state[i] = moved

    def finish(self, ids, node: int, status: str, reason: str, now, detail: str = "") -> None:
        for i in ids:
            moved = self.state.get(i, (None,) * 7)[6] or False
            self.state[i] = (node, str(status), None, now, str(reason), detail, moved)

    def write(self, cursor, now) -> None:
        if self.steps:
            keys = list(self.steps)
            columns = zip(*keys, strict=True)
            names = ("journeys", "nodes", "outcomes", "branches", "reasons")
            params = {
                "now": now,
                **{name: list(column) for name, column in zip(names, columns, strict=True)},
                "ids": [id_text(self.steps[key]) for key in keys],
            }
            # A plain INSERT under a savepoint; should a step row be there already, it is
            # undone and the rows go in skipping those (as the outbox's many-form does).
            try:
                with transaction.atomic():
                    cursor.execute(STEPS_SQL, params)
            except IntegrityError:
                cursor.execute(STEPS_SKIPPING_SQL, params)
        if not self.state:
            return
        groups: dict[tuple, list[int]] = defaultdict(list)
        for enrollment, state in self.state.items():
            groups[state].append(enrollment)
        states = list(groups)
        columns = list(zip(*states, strict=True))
        names = ("nodes", "statuses", "dues", "endeds", "reasons", "details", "moved")
        cursor.execute(
            WRITE_SQL,
            {
                "now": now,
                **{name: list(column) for name, column in zip(names, columns, strict=True)},
                "ids": [id_text(groups[state]) for state in states],
            },
        )


def _apply(graph: Graph, node, outcome: Outcome, now, counts: Counter, walk: Walk,
           next_round: dict[int, list[Row]]) -> None:  # fmt: skip
    for label, ids in outcome.passed.items():
        if not ids:
            continue
        walk.step(node, ids, StepOutcome.PASSED, branch=label)
        target = graph.nodes[graph.next[(node.pk, label)]]
        due = wait_due(target, now) if target.type == NodeType.WAIT else now
        walk.move(ids, target.pk, due)
        if due <= now:  # on in the next round, as a row that arrived without an event
            for i in ids:
                row = walk.rows[i]
                next_round[target.pk].append(Row(i, row.customer, None, row.entry))
        counts["passed"] += len(ids)
    for status, step, groups in (
        (EnrollmentStatus.EXITED, StepOutcome.EXITED, outcome.exited),
        (EnrollmentStatus.COMPLETED, StepOutcome.ENDED, outcome.ended),
    ):
        for reason, ids in groups.items():
            if not ids:
                continue
            walk.step(node, ids, step, reason=reason)
            walk.finish(ids, node.pk, status, reason, now)
            counts[str(step).lower()] += len(ids)
            counts[f"reason:{reason}"] += len(ids)
    for (reason, detail), ids in outcome.failed.items():
        if ids:
            walk.finish(ids, node.pk, EnrollmentStatus.ERROR, reason, now, detail[:120])
            counts["quarantined"] += len(ids)
            counts[f"reason:{reason}"] += len(ids)
    counts.update(outcome.counts)


def _error_detail(error: Exception) -> str:
    """What a quarantined step shows: the kind of failure, never its message (it may hold
    customer data)."""
    code = getattr(error, "code", "")
    return (
        f"{type(error).__name__}:{code}" if isinstance(code, str) and code else type(error).__name__
    )


def _effect(node, journey, rows: list[Row], now) -> Outcome:
    """The node's effect on the group in a savepoint. If it raises, the group is halved and
    each half tried again (its own savepoint), down to single enrollments: the ones that
    still fail alone go to quarantine (ERROR, reason STEP_FAILED) and the rest walk on — one
    bad customer does not stop the batch, and finding it costs about 2·log2(group) tries,
    not one per enrollment of the group. A failing step is never retried by the engine
    (only by ``enrollment_retry``)."""
    try:
        with transaction.atomic():
            return EFFECTS[node.type](node, journey, rows, now)
    except Exception as error:  # noqa: BLE001 - any failure of one node's effect is quarantined
        if len(rows) == 1:
            outcome = Outcome()
            outcome.failed[(ExitReason.STEP_FAILED, _error_detail(error))] = [rows[0].enrollment]
            return outcome
    merged = Outcome()
    half = len(rows) // 2
    for part in (rows[:half], rows[half:]):
        one = _effect(node, journey, part, now)
        for target, source in (
            (merged.passed, one.passed),
            (merged.exited, one.exited),
            (merged.ended, one.ended),
            (merged.failed, one.failed),
        ):
            for label, ids in source.items():
                target[label].extend(ids)
        merged.counts.update(one.counts)
    return merged


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for the while of a batch. The walk allocates
    some hundred thousand small objects (rows, lists, model instances of the offer) that all
    live until the batch ends, and each allocation threshold crossed started a collection
    that traversed them all again — 3.5 s of full collections a 100,000 tick, finding
    nothing (the batch's objects are freed by reference counting when it ends). The
    collector's own schedule resumes after the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def advance_batch(*, now: datetime | None = None, limit: int = BATCH) -> Counter:
    """Advance up to ``limit`` due enrollments as far as they go now; returns the counts."""
    with _collector_paused():
        return _advance_batch(now=now or timezone.now(), limit=limit)


@transaction.atomic
def _advance_batch(*, now: datetime, limit: int) -> Counter:
    counts: Counter = Counter()
    with connection.cursor() as cursor:
        cursor.execute(
            PICK_SQL, {"now": now, "advancing": [str(s) for s in ADVANCING], "limit": limit}
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return counts
        counts["picked"] = len(ids)
        cursor.execute(DUE_SQL, {"ids": id_text(ids), "now": now})
        due = cursor.fetchall()
        if due:
            graph = Graph({row[3] for row in due})
            rows = {r[0]: Row(r[0], r[1], r[4], r[5]) for r in due}
            walk = Walk(rows)
            groups: dict[int, list[Row]] = defaultdict(list)
            for enrollment, _customer, node_id, _journey, _event_at, _entry in due:
                groups[node_id].append(rows[enrollment])
            while groups:
                next_round: dict[int, list[Row]] = defaultdict(list)
                for node_id, group in groups.items():
                    node = graph.nodes[node_id]
                    journey = graph.journeys[node.journey_id]
                    outcome = _effect(node, journey, group, now)
                    _apply(graph, node, outcome, now, counts, walk, next_round)
                groups = next_round
                counts["rounds"] += 1
            walk.write(cursor, now)
    audit.record(
        actor=ENGINE,
        action=AuditAction.ADVANCE_JOURNEYS,
        object_type="journeys.JourneyEnrollment",
        object_id="batch",
        meta=dict(counts),
    )
    return counts


def tick(
    *, now: datetime | None = None, limit: int = BATCH, max_batches: int | None = None
) -> Counter:
    """Advance every due enrollment, batch by batch (each its own transaction)."""
    now = now or timezone.now()
    totals: Counter = Counter()
    batches = 0
    while max_batches is None or batches < max_batches:
        counts = advance_batch(now=now, limit=limit)
        if not counts.get("picked"):
            break
        totals.update(counts)
        batches += 1
    totals["batches"] = batches
    return totals


def overdue(now: datetime | None = None) -> timedelta | None:
    """How late the oldest due enrollment is (for a monitor), or None."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(due_at) FROM journeys_journeyenrollment "
            "WHERE status = 'ACTIVE' AND due_at <= %s",
            [now],
        )
        oldest = cursor.fetchone()[0]
    return now - oldest if oldest else None
