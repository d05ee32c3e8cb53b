"""Test support: the standard journey graph, customers with consent, offer templates.

``standard_graph(segment_id)`` is the journey of the issue: trigger (segment) → wait 1 day →
WhatsApp offer → wait 2 days → clicked? → YES: split 50/50 → A: email offer → end,
B: end; NO: tag → end. Tests mutate a copy of it.
"""

from __future__ import annotations

import copy
from itertools import count

from amanah.consent.services import consent_change
from amanah.customers.services import CustomerInput, customer_create

_numbers = count(1)


def node(key, type_, **config):
    return {"key": key, "type": type_, "config": config}


def edge(source, target, label=""):
    return {"source": source, "target": target, "label": label}


def standard_graph(segment_id, template="uji.penawaran") -> dict:
    return copy.deepcopy(
        {
            "nodes": [
                node("t", "TRIGGER", type="SEGMENT", segment=str(segment_id)),
                node("w1", "WAIT", mode="DURATION", value=1, unit="DAYS"),
                node("a1", "ACTION", channel="WHATSAPP", template=template),
                node("w2", "WAIT", mode="DURATION", value=2, unit="DAYS"),
                node("b", "BRANCH", condition={"kind": "clicked", "node": "a1"}),
                node(
                    "s",
                    "SPLIT",
                    variants=[{"name": "A", "percentage": 50}, {"name": "B", "percentage": 50}],
                ),
                node("a2", "ACTION", channel="EMAIL", template=template),
                node("e1", "END", reason="GOAL_REACHED"),
                node("e2", "END", reason="FINISHED"),
                node("u", "UPDATE", kind="tag", tag="tidak-klik"),
                node("e3", "END", reason="NOT_INTERESTED"),
            ],
            "edges": [
                edge("t", "w1"),
                edge("w1", "a1"),
                edge("a1", "w2"),
                edge("w2", "b"),
                edge("b", "s", "YES"),
                edge("b", "u", "NO"),
                edge("s", "a2", "A"),
                edge("s", "e2", "B"),
                edge("a2", "e1"),
                edge("u", "e3"),
            ],
        }
    )


def customer(actor, branch, *, name="Nasabah Uji", consent="GRANTED", savings=True):
    """A customer of ``branch`` with phone and e-mail, and marketing consent as asked
    (None: never asked)."""
    n = next(_numbers)
    person = customer_create(
        actor=actor,
        data=CustomerInput(
            full_name=name,
            home_branch=branch,
            products={"has_savings": savings},
            phone=f"0812700{n:05d}",
            email=f"journey{n}@contoh.co.id",
        ),
    )
    if consent:
        consent_change(
            actor=actor,
            customer=person,
            consent_type="MARKETING",
            new_status=consent,
            channel="BRANCH",
            verification_method="IN_PERSON",
        )
    return person


def on_working_dates(first, *, weeks: int = 0):
    """``first`` moved on a day at a time until it and its next ``weeks`` weekly repeats all
    fall on working dates of the organisation's calendar: a schedule test whose runs do not
    move, whatever day (weekend, holiday) the suite runs on."""
    from datetime import timedelta

    from amanah.calendars.contract import organisation_schedule

    schedule = organisation_schedule()
    moment = first
    while not all(
        schedule.is_working_date(schedule.local_date(moment + timedelta(weeks=k)))
        for k in range(weeks + 1)
    ):
        moment += timedelta(days=1)
    return moment


# --------------------------------------------------------------------------- view cases


def _journey(world: dict):
    """A DRAFT journey without nodes (plain row: the routes only need one to exist)."""
    from amanah.journeys.models import MarketingJourney

    if "journey" not in world:
        world["journey"] = MarketingJourney.objects.create(name="Journey uji")
    return world["journey"]


def _view_cases():
    from amanah.core.testing import ViewCase

    def of(world):
        return {"journey_id": _journey(world).pk}

    return [
        ViewCase("journeys:list", "journey.view"),
        ViewCase("journeys:create", "journey.manage"),
        ViewCase("journeys:calendar", "journey.view"),
        ViewCase("journeys:detail", "journey.view", kwargs=of),
        ViewCase("journeys:edit", "journey.manage", kwargs=of),
        # A journey without nodes cannot be submitted: refused with a flash, 303 back.
        ViewCase(
            "journeys:move",
            "journey.view",
            kwargs=of,
            method="post",
            data=lambda w: {"to": "SUBMITTED"},
            ok_status=(303,),
        ),
        ViewCase(
            "journeys:new_version", "journey.manage", kwargs=of, method="post", ok_status=(303,)
        ),
        # A/B roll-out on a journey that is not running: refused with a flash, 303 back.
        # A quarantine row that does not exist: 404 (missing and out of scope alike).
        ViewCase(
            "journeys:promote",
            "journey.manage",
            kwargs=lambda w: {"journey_id": _journey(w).pk, "node_key": "s"},
            method="post",
            data=lambda w: {"variant": "A"},
            ok_status=(303,),
        ),
        ViewCase(
            "journeys:quarantine",
            "journey.manage",
            kwargs=lambda w: {"journey_id": _journey(w).pk, "enrollment_id": "1"},
            method="post",
            data=lambda w: {"do": "retry"},
            ok_status=(404,),
        ),
        # The canvas's save: an empty graph is refused (400, JSON naming the problem).
        ViewCase(
            "journeys:canvas_save",
            "journey.manage",
            kwargs=of,
            method="post",
            data=lambda w: {"graph": '{"nodes": [], "edges": []}'},
            ok_status=(400,),
        ),
    ]


VIEW_CASES = _view_cases()
