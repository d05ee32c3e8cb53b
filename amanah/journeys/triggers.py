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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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

    if journey.trigger_type != TriggerType.SEGMENT:
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
        members = members.order_by("pk").values("pk")
        sql, params = members.query.sql_with_params()
        entered[str(journey.pk)] = _insert(journey.pk, trigger_node_id(journey), sql, params, now)
    return entered


def _insert(journey_id, node_id, customers_sql: str, params, now: datetime) -> int:
    sql = f"""
        INSERT INTO journeys_journeyenrollment
            (journey_id, customer_id, current_node_id, status, due_at, entered_at, arrived_at,
             exit_reason)
        SELECT %s, c.id, %s, 'ACTIVE', %s, %s, %s, '' FROM ({customers_sql}) c (id)
        ON CONFLICT (journey_id, customer_id) DO NOTHING
    """  # noqa: S608 (SQL built by the ORM; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [journey_id, node_id, now, now, now, *params])
        return cursor.rowcount


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
    ).values_list("pk", flat=True)
    enrolled = 0
    for journey_id in journeys:
        node = JourneyNode.objects.filter(journey_id=journey_id, type=NodeType.TRIGGER).first()
        if node is None:
            continue
        enrolled += _insert(journey_id, node.pk, "SELECT %s::uuid AS id", [customer_id], now)
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
    """Marketing consent withdrawn: the customer leaves every journey at once."""
    from amanah.journeys.models import ExitReason

    if record.consent_type == "MARKETING" and record.new_status == "WITHDRAWN":
        exit_customer(customer.pk, ExitReason.CONSENT_WITHDRAWN)


def exit_on_suppression(*, actor, customer, **_rest) -> None:
    """Put on the do-not-contact list: the customer leaves every journey at once."""
    from amanah.journeys.models import ExitReason

    exit_customer(customer.pk, ExitReason.DO_NOT_CONTACT)
