"""The transaction feed, its rollup, and RFM runs from the rollup (vs the direct form)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.core.actors import IntegrationActor
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.insight import rules, selectors, services
from amanah.insight.models import MonthlyRollup, RfmRun, RfmScore, Transaction
from amanah.insight.policies import TRANSACTION_RECORD
from amanah.insight.services import TransactionInput, transactions_record
from amanah.insight.testing import book


def _row(customer, **changes):
    base = {
        "customer_id": customer.pk,
        "booked_on": timezone.localdate(),
        "amount": 150_000,
        "channel": "QRIS",
        "reference": f"REF-{random.random()}",
        "merchant_category": "FNB",
        "merchant_id": "QR-001",
    }
    return TransactionInput(**{**base, **changes})


def test_a_batch_is_stored_and_folded_into_the_monthly_rollup(system, make_customer):
    customer = make_customer()
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    rows = [
        _row(customer, reference="A1", amount=100_000),
        _row(customer, reference="A2", amount=250_000),
        _row(customer, reference="A3", amount=5_000_000, booked_on=last_month, channel="PAYROLL"),
    ]
    assert transactions_record(actor=system, rows=rows) == 3
    rollup = {r.month: r for r in MonthlyRollup.objects.filter(customer=customer)}
    assert rollup[today.replace(day=1)].tx_count == 2
    assert rollup[today.replace(day=1)].amount_total == 350_000
    assert rollup[last_month.replace(day=1)].last_booked_on == last_month
    # The feed delivered twice (plus one new row): each transaction is stored once.
    again = [*rows, _row(customer, reference="A4", amount=1)]
    assert transactions_record(actor=system, rows=again) == 1
    assert Transaction.objects.filter(customer=customer).count() == 4
    assert MonthlyRollup.objects.get(customer=customer, month=today.replace(day=1)).tx_count == 3
    assert AuditLog.objects.filter(action="RECORD_TRANSACTIONS").count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"amount": -1},
        {"amount": True},
        {"amount": 1.5},
        {"amount": 10**15},
        {"booked_on": date(9999, 12, 31)},
        {"booked_on": "2026-01-01"},
        {"booked_on": date(1999, 12, 31)},
        {"booked_on": datetime(2026, 1, 1, 9, 0)},
        {"customer_id": "bukan-uuid"},
        {"channel": "CASH"},
        {"merchant_category": "CASINO"},
        {"reference": ""},
        {"reference": "X" * 65},
        {"reference": "A\x00B"},
        {"merchant_id": "m\x07"},
    ],
)
def test_bad_rows_refuse_the_whole_batch(system, make_customer, change):
    customer = make_customer()
    rows = [_row(customer, reference="GOOD"), _row(customer, **{"reference": "BAD", **change})]
    with pytest.raises(ServiceError) as refused:
        transactions_record(actor=system, rows=rows)
    assert "2" in refused.value.message  # the row is named
    assert not Transaction.objects.exists() and not MonthlyRollup.objects.exists()


def test_empty_and_oversized_batches_are_refused(system):
    with pytest.raises(ServiceError):
        transactions_record(actor=system, rows=[])
    with pytest.raises(ServiceError):
        transactions_record(actor=system, rows="not a list")


def test_customers_outside_the_feed_scope_are_refused(make_customer, branch_b):
    customer = make_customer(branch=branch_b)
    feed = IntegrationActor("feed-mdn", permissions=(TRANSACTION_RECORD,))
    with pytest.raises(ServiceError) as refused:
        transactions_record(actor=feed, rows=[_row(customer)])
    assert refused.value.field == "customer"
    no_permission = IntegrationActor("feed-none", permissions=(), all_branches=True)
    with pytest.raises(PermissionDenied):
        transactions_record(actor=no_permission, rows=[_row(customer)])


def _random_history(system, customers, rng):
    today = timezone.localdate()
    for customer in customers:
        profile = rng.choice(["none", "old", "light", "busy", "rich"])
        if profile == "none":
            continue
        n = {"old": 3, "light": 8, "busy": 60, "rich": 20}[profile]
        rows = []
        for _ in range(n):
            ago = rng.randint(400, 700) if profile == "old" else rng.randint(0, 380)
            amount = rng.choice([0, 15_000, 2_500_000, 9_000_000 if profile == "rich" else 50_000])
            rows.append(_row(customer, booked_on=today - timedelta(days=ago), amount=amount))
        transactions_record(actor=system, rows=rows)


def test_run_from_rollup_agrees_with_the_direct_form_and_with_python(system, make_customer):
    rng = random.Random(13)
    customers = [make_customer(f"Nasabah Uji {i}") for i in range(25)]
    _random_history(system, customers, rng)
    from_rollup = services.rfm_run_compute(actor=system)
    direct = services.rfm_run_compute(actor=system, source="transactions")
    assert from_rollup.customers == direct.customers == 25

    def rows(run):
        return {
            s.customer_id: (
                s.recency_days,
                s.frequency_count,
                s.monetary_value,
                s.r,
                s.f,
                s.m,
                s.total,
                s.segment,
                s.clv_proxy,
            )
            for s in RfmScore.objects.filter(run=run)
        }

    assert rows(from_rollup) == rows(direct)
    start, end = services.window_for(from_rollup.as_of)
    for customer in customers:
        window = Transaction.objects.filter(
            customer=customer, booked_on__gte=start, booked_on__lt=end
        )
        days = [(from_rollup.as_of - t.booked_on).days for t in window]
        expected = rules.score(
            recency_days=min(days) if days else None,
            frequency=len(days),
            monetary=sum(t.amount for t in window),
        )
        got = RfmScore.objects.get(run=from_rollup, customer=customer)
        assert (got.r, got.f, got.m, got.segment) == (
            expected.r,
            expected.f,
            expected.m,
            expected.segment,
        )
    assert sum(from_rollup.counts.values()) == 25


def test_runs_are_kept_so_a_move_between_segments_shows(system, make_customer, make_user, branch_a):
    customer = make_customer()
    book(system, customer, days_ago=200, amount=30_000_000, count=6)
    first = services.rfm_run_compute(actor=system)
    assert RfmScore.objects.get(run=first, customer=customer).segment == "AT_RISK"
    book(system, customer, days_ago=1, amount=30_000_000, count=30)
    second = services.rfm_run_compute(actor=system)
    assert RfmScore.objects.get(run=second, customer=customer).segment == "CHAMPION"
    rm = make_user(R.SUPERVISOR, branches=[branch_a])
    latest, previous = selectors.rfm_latest(customer, rm)
    assert (latest.run_id, previous.run_id) == (second.pk, first.pk)
    admin = make_user(R.ADMIN)
    moves = selectors.rfm_movement(actor=admin, run=second)
    assert {"from": "AT_RISK", "to": "CHAMPION", "customers": 1} in moves
    assert RfmRun.objects.count() == 2
    assert AuditLog.objects.filter(action="COMPUTE_RFM").count() == 2


def test_zero_transactions_is_lost_and_merged_customers_are_left_out(system, make_customer):
    quiet = make_customer("Nasabah Tanpa Transaksi")
    run = services.rfm_run_compute(actor=system)
    score = RfmScore.objects.get(run=run, customer=quiet)
    assert (score.recency_days, score.r, score.f, score.m, score.segment) == (
        None,
        1,
        1,
        1,
        "LOST",
    )
    assert "R=1, F=1, M=1" in score.reason


def test_only_admin_runs_rfm_and_bad_dates_are_refused(system, make_user, branch_a):
    with pytest.raises(PermissionDenied):
        services.rfm_run_compute(actor=make_user(R.RM, branches=[branch_a]))
    with pytest.raises(ServiceError):
        services.rfm_run_compute(actor=system, as_of=date(9999, 12, 31))
    with pytest.raises(ServiceError):
        services.rfm_run_compute(actor=system, trigger="WHENEVER")
    assert not RfmRun.objects.exists()


def test_the_window_is_twelve_calendar_months():
    assert services.window_for(date(2026, 11, 23)) == (date(2025, 12, 1), date(2026, 12, 1))
    assert services.window_for(date(2026, 1, 31)) == (date(2025, 2, 1), date(2026, 2, 1))
    assert services.window_for(date(2026, 12, 1)) == (date(2026, 1, 1), date(2027, 1, 1))


def test_the_rfm_signal_feeds_lead_scoring(system, make_customer, make_user, branch_a):
    from amanah.insight.scoring import rescore_after_rfm
    from amanah.sales.models import Lead
    from amanah.sales.scoring import breakdown_for

    customer = make_customer()
    lead = _lead(make_user, branch_a, customer)
    book(system, customer, days_ago=2, amount=5_000_000, count=50)
    services.rfm_run_compute(actor=system)
    _total, rows = breakdown_for(customer)
    rfm = next(r for r in rows if r["factor"] == "RFM_SEGMENT")
    assert (rfm["score"], rfm["available"]) == (30, True)
    # the run's event (deferred: a job after the run's commit) scores the open leads again
    before = Lead.objects.get(pk=lead.pk).score
    rescore_after_rfm(actor=system, run=None)
    assert Lead.objects.get(pk=lead.pk).score == before + 30


def _lead(make_user, branch, customer):
    """An open lead of the customer, for the branch's RM (scored when created)."""
    from amanah.sales.services import lead_create

    make_user(R.RM, branches=[branch])  # the branch's RM gets it
    supervisor = make_user(R.SUPERVISOR, branches=[branch])
    return lead_create(actor=supervisor, customer=customer, source_type="MANUAL")


def test_merged_transactions_follow_the_survivor(system, make_customer):
    absorbed, survivor = make_customer("Nasabah Lama"), make_customer("Nasabah Baru")
    book(system, absorbed, days_ago=3, amount=1_000, count=2)
    book(system, survivor, days_ago=3, amount=500, count=1)
    assert services.move_transactions(absorbed, survivor) == 2
    assert not MonthlyRollup.objects.filter(customer=absorbed).exists()
    months = MonthlyRollup.objects.filter(customer=survivor)
    assert sum(m.tx_count for m in months) == 3
    assert sum(m.amount_total for m in months) == 2_500


def test_engagement_email_opens_and_branch_visits_feed_lead_scoring(
    system, make_customer, make_user, branch_a
):
    """Seed 001 §8: recent engagement +10, e-mail opened +5, branch visit +5 — each with the
    fact that earned it, from the hub's engagements and the transaction feed."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.core.roles import RoleKey as R
    from amanah.messaging.contract import Rendered, engagement_record, message_queue
    from amanah.messaging.models import Engagement
    from amanah.sales.models import Lead
    from amanah.sales.scoring import breakdown_for

    customer = make_customer(email="siti@example.test")

    def rows():
        return {r["factor"]: r for r in breakdown_for(customer)[1]}

    def lead_score():  # the lead as stored: rescored by the events, never by reading it
        return Lead.objects.get(pk=lead.pk).score

    lead = _lead(make_user, branch_a, customer)
    assert rows()["BRANCH_VISIT"]["score"] == 0
    book(system, customer, days_ago=100, channel="TELLER")  # too long ago
    assert rows()["BRANCH_VISIT"]["score"] == 0
    first = lead_score()
    book(system, customer, days_ago=5, channel="TELLER")
    visit = rows()["BRANCH_VISIT"]
    assert visit["score"] == 5 and "transaksi teller" in visit["reason"]
    assert lead_score() == first + 5  # the feed's event rescored the lead

    message = message_queue(
        actor=make_user(R.AGENT, branches=[branch_a]),
        channel="EMAIL",
        purpose="SERVICE",
        rendered=Rendered(subject="Info", text="Info layanan", html="<p>Info layanan</p>"),
        source="MANUAL",
        source_id="scoring-test",
        customer=customer,
    )
    assert engagement_record(message_id=message.pk, kind="OPEN")
    found = rows()
    assert (found["EMAIL_OPENED"]["score"], found["RECENT_ENGAGEMENT"]["score"]) == (5, 10)
    assert lead_score() == first + 5 + 15  # the hub's engagement event rescored it
    assert "Email dibuka" in found["EMAIL_OPENED"]["reason"]
    # Ten days later the open is no longer recent, but still an e-mail opened.
    Engagement.objects.update(at=timezone.now() - timedelta(days=10))
    found = rows()
    assert (found["EMAIL_OPENED"]["score"], found["RECENT_ENGAGEMENT"]["score"]) == (5, 0)
