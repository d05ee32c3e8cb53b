"""Fixtures of the survey tests: the survey template (approved, e-mail only), a customer, a
closed case, and the deferred close handler run as the worker runs it (own jobs only)."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from amanah.cases import services as cases
from amanah.core import events
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.messaging import template_services as ts
from amanah.messaging.template_defaults import INSTALLER
from amanah.messaging.template_seeds import SEEDS

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # the SERVICE window is open
HANDLER = "cases.case_closed:amanah.surveys.handlers.invite_after_close"


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


@pytest.fixture(autouse=True)
def _survey_settings(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True
    settings.SURVEY_CES_CATEGORIES = ["LOAN_CREDIT"]


@pytest.fixture
def survey_template(db):
    """The default ``survey.invitation`` e-mail template, approved as the installer does."""
    (fields,) = [s for s in SEEDS if s["key"] == "survey.invitation" and s["channel"] == "EMAIL"]
    template = ts.template_create(actor=INSTALLER, **fields)
    version = template.versions.get()
    ts.template_version_submit(actor=INSTALLER, version=version)
    ts.template_version_approve(actor=INSTALLER, version=version, note="uji")
    return template


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Budi Santoso Sitorus",
            home_branch=branch_a,
            email="budi.santoso@contoh.co.id",
            phone="082160003003",
        ),
    )


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def closed_case(agent, supervisor, customer, django_capture_on_commit_callbacks):
    """close(category) → the case, closed at TUESDAY_10 (its deferred jobs are queued)."""

    def close(category="TRX_FAIL"):
        with at(TUESDAY_10):
            case = cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code=category,
                    priority="MEDIUM",
                    description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
                ),
            )
            cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
            cases.case_final_response(
                actor=agent,
                case=case,
                text="Dana Rp 2.500.000 telah dikembalikan ke rekening.",
                resolution_code="REFUND",
            )
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                return cases.case_close(actor=supervisor, case=case)

    return close


@pytest.fixture
def jobs_before(db) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


@pytest.fixture
def run_close_jobs(jobs_before):
    """Run this test's waiting survey jobs as the worker does (``twice``: a retried job)."""

    def run(*, twice: bool = False) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, args FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
                " AND id > %s AND args->>'handler_key' = %s ORDER BY id",
                ["amanah.core.tasks.run_event_handler", jobs_before, HANDLER],
            )
            jobs = cursor.fetchall()
        for job_id, args in jobs:
            args = json.loads(args) if isinstance(args, str) else args
            for _ in range(2 if twice else 1):
                with at(TUESDAY_10):
                    events.run_deferred(**args)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job_id]
                )
        return len(jobs)

    return run
