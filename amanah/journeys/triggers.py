"""How customers enter a journey, and how a WAIT-until-event wakes.

* **Segment entered** (``segment_entries``, a periodic job): the segment's current rules are
  evaluated again over every customer; whoever matches and is not yet in the journey version
  enters, at the trigger node, due now. The first evaluation after activation takes the
  members of that moment; later ones the new members. One ``INSERT … SELECT … ON CONFLICT DO
  NOTHING`` per journey: a customer is enrolled at most once per version (``enrollment_once``).
* **Domain events** (``EVENT_TRIGGERS``): a handler registered in ``contract.py`` for each
  event finds the customer the event is about and enrolls them in every ACTIVE journey
  started by that event; the same handler wakes the customer's enrollments waiting at a WAIT
  until that event (due now, ``event_at`` set). Two small statements in the emitter's
  transaction.
* **Schedule** (``scheduled_entries``, the same periodic job as segment entries): at the
  trigger's moment ``at`` (and then every day, week or month when it repeats) the segment's
  members of that moment enter. ``next_run_at`` on the version says when; a run moves it on
  in the same transaction (a crashed run is simply run again).
* **API** (``services.journey_enroll``, behind ``POST /api/v1/journeys/{key}/enrollments``): a
  system key holding ``journey.enroll`` puts one customer it may see into the running version.

**Re-entry** (the trigger's ``reentry``): NEVER — a customer passes through a version once;
AFTER_END — a customer whose previous pass ended (exit or END, not quarantine) at least
``cooldown_days`` ago enters again as the next ``entry``. Every trigger enrolls through
``_insert``, one ``INSERT … SELECT`` that applies the rule; the unique keys (one row per
entry, never two open passes) make a concurrent second insert a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from amanah.journeys.models import (
    JourneyNode,
    JourneyStatus,
    MarketingJourney,
    NodeType,
    TriggerType,
)


@dataclass(frozen=True)
class EventTrigger:
    label: str | Promise
    customer_of: Callable[..., object]  # fn(**objects) -> customer id or None


def _case_customer(*, case, **_rest):
    return case.customer_id


def _marketing_granted(*, customer, record, **_rest):
    granted = record.consent_type == "MARKETING" and record.new_status == "GRANTED"
    return customer.pk if granted else None


def _new_customer(*, customer, **_rest):
    return customer.pk


def _lead_won(*, obj, to_status, revert, **_rest):
    return getattr(obj, "customer_id", None) if to_status == "CLOSED_WON" and not revert else None


def _survey_answered(*, invitation, **_rest):
    return invitation.customer_id


def _deposit(*, deposit, **_rest):
    return deposit.member.customer_id


EVENT_TRIGGERS: dict[str, EventTrigger] = {
    "cases.case_closed": EventTrigger(gettext_lazy("Kasus nasabah ditutup"), _case_customer),
    "consent.consent_changed": EventTrigger(
        gettext_lazy("Persetujuan pemasaran diberikan"), _marketing_granted
    ),
    "customers.customer_created": EventTrigger(gettext_lazy("Nasabah baru"), _new_customer),
    "sales.lead.transitioned": EventTrigger(gettext_lazy("Lead berhasil (won)"), _lead_won),
    "surveys.response_recorded": EventTrigger(gettext_lazy("Survei dijawab"), _survey_answered),
    "followup.deposit_recorded": EventTrigger(gettext_lazy("Setoran diterima"), _deposit),
}
# A WAIT may wait for any of the same events.
WAIT_EVENTS = EVENT_TRIGGERS


def trigger_node_id(journey: MarketingJourney) -> int:
    return JourneyNode.objects.filter(journey=journey, type=NodeType.TRIGGER).values_list(
        "pk", flat=True
    )[0]


def segment_members(journey: MarketingJourney):
    """The customers the journey's segment holds now (who a segment trigger enrolls), or None
    when the journey does not start on a segment or its segment has gone. The entries job and
    the audience preview (``selectors.audience_preview``) both ask it here."""
    from amanah.customers.models import Customer
    from amanah.marketing.models import Segment
    from amanah.marketing.rules import compile_rules

    if journey.trigger_type not in (TriggerType.SEGMENT, TriggerType.SCHEDULE):
        return None
    segment = Segment.objects.filter(pk=journey.trigger_config.get("segment")).first()
    if segment is None:
        return None
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(status="CLOSED")
        .filter(compile_rules(segment.current.rules))
    )


def segment_entries(*, now: datetime | None = None) -> dict:
    """Enrol the members of each ACTIVE segment-triggered journey's segment not yet in it;
    returns ``{journey id: customers enrolled}``. Idempotent."""
    now = now or timezone.now()
    entered: dict[str, int] = {}
    journeys = MarketingJourney.objects.filter(
        status=JourneyStatus.ACTIVE, trigger_type=TriggerType.SEGMENT
    )
    for journey in journeys:
        members = segment_members(journey)
        if members is None:
            continue
        entered[str(journey.pk)] = _enrol(journey, members, now)
    return entered


def _enrol(journey: MarketingJourney, members, now: datetime) -> int:
    members = members.order_by("pk").values("pk")
    sql, params = members.query.sql_with_params()
    return _insert(journey, trigger_node_id(journey), sql, params, now)


def reentry_rule(journey: MarketingJourney) -> tuple[bool, timedelta]:
    """(may a customer enter again after a pass ended, the cool-down before they may)."""
    from amanah.journeys.models import Reentry

    config = journey.trigger_config or {}
    if config.get("reentry") != Reentry.AFTER_END:
        return False, timedelta(0)
    return True, timedelta(days=int(config.get("cooldown_days") or 0))


def _insert(journey: MarketingJourney, node_id, customers_sql: str, params, now) -> int:
    """Enrol the customers the query yields, as the re-entry rule allows: a customer never
    seen gets entry 1; one whose every pass ended (not ACTIVE, not in quarantine) at least
    the cool-down ago gets the next entry when the rule allows re-entry. ``ON CONFLICT DO
    NOTHING`` (any of the unique keys): a concurrent insert of the same entry is a no-op."""
    again, cooldown = reentry_rule(journey)
    sql = f"""
        INSERT INTO journeys_journeyenrollment
            (journey_id, customer_id, current_node_id, status, due_at, entered_at, arrived_at,
             exit_reason, entry)
        SELECT %s, c.id, %s, 'ACTIVE', %s, %s, %s, '', COALESCE(prev.entry, 0) + 1
          FROM ({customers_sql}) c (id)
          LEFT JOIN LATERAL (
                SELECT max(p.entry) AS entry, max(p.ended_at) AS last_end,
                       bool_or(p.status IN ('ACTIVE', 'ERROR')) AS open
                  FROM journeys_journeyenrollment p
                 WHERE p.journey_id = %s AND p.customer_id = c.id) prev ON true
         WHERE prev.entry IS NULL OR (%s AND NOT prev.open AND prev.last_end <= %s)
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (SQL built by the ORM; values are parameters)
    values = [journey.pk, node_id, now, now, now, *params, journey.pk, again, now - cooldown]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount


def enrol_one(journey: MarketingJourney, node_id, customer_id, now: datetime) -> int:
    """One customer into ``journey`` at its trigger node, as the re-entry rule allows."""
    return _insert(journey, node_id, "SELECT %s::uuid AS id", [customer_id], now)


# --------------------------------------------------------------------------- schedule


def next_run(journey: MarketingJourney, after: datetime, schedule=None) -> datetime | None:
    """The first run of the SCHEDULE trigger strictly after ``after`` (None: no more runs).

    Repeats step from the configured moment in its own zone (a weekly Monday 09.00 WIB stays
    09.00 WIB); a month keeps the day, or the month's last day when it has fewer days. The
    organisation's working calendar (``calendars.contract.organisation_schedule``, or
    ``schedule``) is honoured: a run falling on a date it does not work (weekend, national
    holiday, *cuti bersama*, a closure) happens at the same time on the next working date —
    the series itself does not drift, and runs that land on the same moment happen once."""
    if schedule is None:
        from amanah.calendars.contract import organisation_schedule

        schedule = organisation_schedule()
    config = journey.trigger_config or {}
    start = datetime.fromisoformat(config["at"])
    repeat = config.get("repeat") or "NONE"
    for nominal in _nominal_runs(start, repeat, _shifted_past(schedule, after)):
        run = _on_working_date(schedule, nominal)
        if run is None or run > after:
            return run
    return None


def _shifted_past(schedule, after: datetime) -> datetime:
    """From when a nominal run may still be ahead of ``after`` once moved to a working date:
    the start of the day after the last working date before ``after`` (a run on that date or
    earlier happened by then)."""
    from amanah.calendars.contract import MAX_IDLE_DAYS, working_date_before

    last = working_date_before(schedule, schedule.local_date(after))
    if last is None:
        return after - timedelta(days=MAX_IDLE_DAYS)
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=schedule.tz)


def _nominal_runs(start: datetime, repeat: str, since: datetime):
    """The trigger's runs as configured (no calendar), from the first one at or after
    ``since``; endless when it repeats."""
    if repeat == "NONE":
        if start >= since:
            yield start
        return
    step = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}.get(repeat)
    if step is not None:
        n = max(0, -((start - since) // step))  # ceil((since - start) / step)
        while True:
            yield start + step * n
            n += 1
    n = 0
    while True:
        at = _add_months(start, n)
        if at >= since:
            yield at
        n += 1


def _on_working_date(schedule, moment: datetime) -> datetime | None:
    """``moment`` moved to the same wall-clock time of the first working date on or after
    its own (None when the calendar works on no date ahead)."""
    from amanah.calendars.contract import NoWorkingTime, working_date_on_or_after

    day = schedule.local_date(moment)
    try:
        working = working_date_on_or_after(schedule, day)
    except NoWorkingTime:
        return None
    return moment + (working - day)


def _add_months(moment: datetime, months: int) -> datetime:
    import calendar

    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def scheduled_entries(*, now: datetime | None = None) -> dict:
    """Run every ACTIVE SCHEDULE journey whose ``next_run_at`` has come: its segment's
    members of now enter (the re-entry rule applies), and ``next_run_at`` moves to the next
    run after now (a run missed while the workers were down happens once, not once per
    missed slot). Rows locked ``SKIP LOCKED``: two workers never run the same journey."""
    now = now or timezone.now()
    entered: dict[str, int] = {}
    due = (
        MarketingJourney.objects.filter(
            status=JourneyStatus.ACTIVE,
            trigger_type=TriggerType.SCHEDULE,
            next_run_at__lte=now,
        )
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("next_run_at")
    )
    for journey in due:
        members = segment_members(journey)
        entered[str(journey.pk)] = _enrol(journey, members, now) if members is not None else 0
        journey.next_run_at = next_run(journey, now)
        journey.save(update_fields=["next_run_at"])
    return entered


WAKE_SQL = """
    UPDATE journeys_journeyenrollment e
       SET event_at = %(now)s, due_at = LEAST(e.due_at, %(now)s)
      FROM journeys_journeynode n
     WHERE e.customer_id = %(customer)s AND e.status = 'ACTIVE' AND e.event_at IS NULL
       AND n.id = e.current_node_id AND n.type = 'WAIT'
       AND n.config ->> 'mode' = 'UNTIL_EVENT' AND n.config ->> 'event' = %(event)s
"""


def on_event(event: str, *, customer_id, now: datetime | None = None) -> dict:
    """``event`` happened to the customer: enrol them where it starts a journey, wake them
    where a WAIT waits for it. Returns the counts."""
    now = now or timezone.now()
    journeys = MarketingJourney.objects.filter(
        status=JourneyStatus.ACTIVE,
        trigger_type=TriggerType.EVENT,
        trigger_config__event=event,
    )
    enrolled = 0
    for journey in journeys:
        node = JourneyNode.objects.filter(journey=journey, type=NodeType.TRIGGER).first()
        if node is None:
            continue
        enrolled += enrol_one(journey, node.pk, customer_id, now)
    with connection.cursor() as cursor:
        cursor.execute(WAKE_SQL, {"now": now, "customer": customer_id, "event": event})
        woken = cursor.rowcount
    return {"enrolled": enrolled, "woken": woken}


def handler_for(event: str):
    """The event handler ``contract.py`` registers for ``event``."""
    trigger = EVENT_TRIGGERS[event]

    def handle(*, actor, **objects) -> None:
        customer_id = trigger.customer_of(**objects)
        if customer_id is not None:
            on_event(event, customer_id=customer_id)

    handle.__name__ = f"journeys_on_{event.replace('.', '_')}"
    return handle


# --------------------------------------------------------------------------- leaving at once

EXIT_SQL = """
    WITH gone AS (
        UPDATE journeys_journeyenrollment
           SET status = 'EXITED', exit_reason = %(reason)s, ended_at = %(now)s, due_at = NULL
         WHERE customer_id = %(customer)s AND status = 'ACTIVE'
     RETURNING id, journey_id, current_node_id)
    INSERT INTO journeys_journeystep (journey_id, enrollment_id, node_id, outcome, branch,
                                      reason, at)
    SELECT journey_id, id, current_node_id, 'EXITED', '', %(reason)s, %(now)s FROM gone
    ON CONFLICT (enrollment_id, node_id) DO NOTHING
"""


def exit_customer(customer_id, reason: str, *, now: datetime | None = None) -> int:
    """Every active enrollment of the customer ends now with ``reason``, recorded as an exit
    at the node where it stood. One statement; a batch of the engine holding the row finishes
    first (the row lock), and what it queued meanwhile the outbox re-checks at sending."""
    with connection.cursor() as cursor:
        cursor.execute(
            EXIT_SQL, {"reason": reason, "now": now or timezone.now(), "customer": customer_id}
        )
        return cursor.rowcount


def exit_on_withdrawal(*, actor, customer, record, **_rest) -> None:
    """Marketing consent withdrawn: the customer leaves every journey at once. A withdrawal
    on one channel (an unsubscribe link, a STOP reply) does not: the journey's offers go on
    the channels still open to them, and a step with none refuses them then (its exit
    reason: ``CONSENT_WITHDRAWN``)."""
    from amanah.journeys.models import ExitReason

    if (
        record.consent_type == "MARKETING"
        and record.new_status == "WITHDRAWN"
        and not record.contact_channel
    ):
        exit_customer(customer.pk, ExitReason.CONSENT_WITHDRAWN)


def exit_on_suppression(*, actor, customer, **_rest) -> None:
    """Put on the do-not-contact list: the customer leaves every journey at once."""
    from amanah.journeys.models import ExitReason

    exit_customer(customer.pk, ExitReason.DO_NOT_CONTACT)
