"""``core.events``: handlers run inside the emitter's transaction; slow ones as a job on commit."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from amanah.core import events, registry
from amanah.core.actors import IntegrationActor, SystemActor
from amanah.core.events import EventHandler, UnknownEvent
from amanah.core.models import RateCounter

EVENT = "test.something_happened"


@pytest.fixture
def declared():
    with registry.events.temporarily(EVENT, EVENT):
        yield EVENT


@pytest.fixture
def handler(declared):
    """A handler that writes a row, so we can see whether its effect committed."""
    seen = []

    def write_row(*, actor, counter):
        seen.append((actor, counter))
        RateCounter.objects.create(key=f"handled:{counter.key}", window_start=0)

    key = f"{EVENT}:probe"
    with registry.event_handlers.temporarily(key, EventHandler(EVENT, write_row)):
        yield seen


def _counter(key="probe") -> RateCounter:
    return RateCounter.objects.create(key=key, window_start=1)


@pytest.mark.django_db
def test_the_handler_runs_in_the_transaction_and_rolls_back_with_it(handler):
    actor = SystemActor("test:events")
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(EVENT, actor=actor, counter=_counter("undone"))
        assert RateCounter.objects.filter(key="handled:undone").exists()  # ran right away…
        raise RuntimeError("the business change fails afterwards")
    assert not RateCounter.objects.filter(key__contains="undone").exists()  # …and undone with it

    with transaction.atomic():
        events.emit(EVENT, actor=actor, counter=_counter("kept"))
    assert RateCounter.objects.filter(key="handled:kept").exists()
    assert [a for a, _c in handler] == [actor, actor]


@pytest.mark.django_db
def test_a_failing_handler_undoes_the_change_that_emitted(declared):
    def refuse(*, actor, counter):
        raise ValueError("handler refuses")

    refusing = EventHandler(EVENT, refuse)
    with (
        registry.event_handlers.temporarily(f"{EVENT}:refuse", refusing),
        pytest.raises(ValueError),
        transaction.atomic(),
    ):
        events.emit(EVENT, actor=SystemActor(), counter=_counter("cause"))
    assert not RateCounter.objects.filter(key="cause").exists()


def test_emit_outside_a_transaction_is_refused(declared):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the business transaction"):
        events.emit(EVENT, actor=SystemActor())


def test_unknown_events_are_refused_when_subscribing_and_when_emitting():
    with pytest.raises(UnknownEvent):
        events.on("cases.case_closd", lambda **kw: None)
    with pytest.raises(UnknownEvent):
        events.emit("cases.case_closd", actor=SystemActor())


def test_an_event_is_declared_once(declared):
    with pytest.raises(registry.DuplicateRegistration):
        events.declare(EVENT)


def _jobs(task_name: str, handler_key: str) -> list[dict]:
    """This test's jobs only: tests that commit (e2e, concurrency) may leave other handlers'
    jobs behind, whatever the order the suite runs in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = %s ORDER BY id", [task_name]
        )
        jobs = [json.loads(a) if isinstance(a, str) else a for (a,) in cursor.fetchall()]
    return [job for job in jobs if job.get("handler_key") == handler_key]


@pytest.mark.django_db
def test_a_deferred_handler_becomes_a_job_on_commit_only(
    declared, django_capture_on_commit_callbacks
):
    from amanah.core.tasks import run_event_handler

    ran = []

    def slow(*, actor, counter):
        ran.append((actor.username, actor.grants.permissions, counter.key))

    key = f"{EVENT}:slow"
    with registry.event_handlers.temporarily(key, EventHandler(EVENT, slow, deferred=True)):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                events.emit(EVENT, actor=SystemActor("test:slow"), counter=_counter("later"))
            assert ran == []  # not in the transaction
        assert len(callbacks) == 1
        (job,) = _jobs(run_event_handler.name, key)
        assert job["handler_key"] == key
        events.run_deferred(**job)  # what the worker does
    # Issue 51 (5): what a system actor set off runs later with no permission at all (the job
    # used to re-create a SystemActor, every permission, from the name in its payload).
    assert ran == [("integration:after:test:slow", frozenset(), "later")]


@pytest.mark.django_db
def test_a_deferred_handler_of_a_rolled_back_change_never_becomes_a_job(
    declared, django_capture_on_commit_callbacks
):
    from amanah.core.tasks import run_event_handler

    key = f"{EVENT}:slow"
    handler = EventHandler(EVENT, lambda **kw: None, deferred=True)
    with (
        registry.event_handlers.temporarily(key, handler),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.emit(EVENT, actor=SystemActor(), counter=_counter("gone"))
        raise RuntimeError
    assert callbacks == [] and _jobs(run_event_handler.name, key) == []


def test_sales_reacts_to_a_closed_case_through_its_contract():
    assert "cases.case_closed" in registry.events
    handlers = [h.handle.__module__ for _k, h in events.handlers_of("cases.case_closed")]
    assert "amanah.sales.contract" in handlers


@pytest.mark.django_db
def test_a_deferred_handler_gets_an_integration_actor_with_its_own_grants_only(
    declared, django_capture_on_commit_callbacks
):
    import uuid

    from amanah.core.actors import IntegrationActor
    from amanah.core.tasks import run_event_handler

    seen = []

    def slow(*, actor, counter):
        seen.append(actor)

    branch = uuid.uuid4()
    sweep = IntegrationActor("uji", permissions=(), branch_ids=[branch])
    key = f"{EVENT}:slow"
    with registry.event_handlers.temporarily(key, EventHandler(EVENT, slow, deferred=True)):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            events.emit(EVENT, actor=sweep, counter=_counter("integration"))
        (job,) = _jobs(run_event_handler.name, key)
        events.run_deferred(**job)
    (actor,) = seen
    assert isinstance(actor, IntegrationActor) and actor.username == "integration:uji"
    assert actor.grants == sweep.grants


@pytest.mark.django_db
def test_a_declared_actor_travels_by_name_and_keeps_its_declared_grants(
    declared, django_capture_on_commit_callbacks
):
    """A job's declared actor goes into the job by name and comes back as itself: a payload
    naming more permissions (a forged or stale job) cannot widen it, and a name nobody
    declared runs nothing."""
    from amanah.core.registry import NotRegistered
    from amanah.core.tasks import run_event_handler

    seen = []

    def slow(*, actor, counter):
        seen.append(actor)

    sweep = IntegrationActor("uji-tugas", permissions=("home.view",))
    key = f"{EVENT}:slow"
    with (
        registry.job_actors.temporarily("uji-tugas", sweep),
        registry.event_handlers.temporarily(key, EventHandler(EVENT, slow, deferred=True)),
    ):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            events.emit(EVENT, actor=sweep, counter=_counter("declared"))
        (job,) = _jobs(run_event_handler.name, key)
        assert job["actor"] == {"actor": "uji-tugas"}
        events.run_deferred(**{**job, "actor": {"actor": "uji-tugas", "permissions": ["x"]}})
        assert seen == [sweep]
        with pytest.raises(NotRegistered):
            events.run_deferred(**{**job, "actor": {"actor": "tidak-ada"}})
