import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from amanah.cases import services as cases
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create

WIB = ZoneInfo("Asia/Jakarta")


@contextmanager
def at(moment: dt.datetime):
    """Freeze 'now' for services, audit and the SLA arithmetic."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Budi Santoso Sitorus",
            home_branch=branch_a,
            phone="082160003003",
            cif="CIF1000003",
        ),
    )


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def open_case(customer, agent):
    def make(category="TRX_FAIL", priority="MEDIUM", actor=None, **kw):
        return cases.case_create(
            actor=actor or agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code=category,
                priority=priority,
                description="Transfer ke rekening lain gagal tetapi saldo terpotong Rp 2.500.000.",
                **kw,
            ),
        )

    return make


class SlaDigests:
    """What the sweep handed the messaging hub (``cases.sla_digest``), recorded in the sweep's
    transaction: per event kind, title, run clock, url and [[user id, count]]."""

    def __init__(self):
        self.events: list[dict] = []

    def record(self, *, actor, **digest):
        self.events.append({"actor": actor.username, **digest})

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["kind"] == kind]

    def titles(self, user) -> list[str]:
        """The digests ``user`` is told of, as the inbox shows them ("3 kasus …")."""
        return sorted(
            f"{count} {e['title']}"
            for e in self.events
            for user_id, count in e["counts"]
            if user_id == str(user.pk)
        )


@pytest.fixture
def sla_digests():
    from amanah.cases.sweep import SLA_DIGEST
    from amanah.core import events, registry
    from amanah.core.events import EventHandler

    recorder = SlaDigests()
    key = f"{SLA_DIGEST}:tests.record"
    with registry.event_handlers.temporarily(key, EventHandler(SLA_DIGEST, recorder.record)):
        assert events.handlers_of(SLA_DIGEST)
        yield recorder
