"""Every write of insight: the transaction feed (with its rollup) and the RFM run.

Both are set-based: a batch of transactions is one INSERT … ON CONFLICT that also folds the
new rows into the monthly rollup, and an RFM run is one INSERT … SELECT over every customer.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import objects_to_profiling_sql
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers.contract import customers_writable
from amanah.iam import authz
from amanah.insight import rules
from amanah.insight.models import (
    MAX_AMOUNT,
    MerchantCategory,
    RfmRun,
    RunTrigger,
    Transaction,
    TxChannel,
)
from amanah.insight.policies import RFM_RUN, TRANSACTION_RECORD

TRANSACTIONS_RECORDED = "insight.transactions_recorded"
RFM_COMPUTED = "insight.rfm_computed"
MAX_BATCH = 10_000
EARLIEST = date(2000, 1, 1)
WINDOW_MONTHS = 12
_RUN_LOCK = "insight.rfm_run"


@dataclass(frozen=True)
class TransactionInput:
    customer_id: object
    booked_on: date
    amount: int
    channel: str
    reference: str
    merchant_category: str = ""
    merchant_id: str = ""


def _refuse(row: int, message: str, field: str = "rows"):
    raise ServiceError(
        "transaction_invalid", _("Baris %(n)s: %(msg)s") % {"n": row, "msg": message}, field=field
    )


def _check_text(row: int, value, name: str, longest: int, *, required: bool) -> str:
    if not isinstance(value, str) or problem_in_text(value) or len(value) > longest:
        _refuse(
            row,
            _("%(name)s harus teks tanpa karakter kontrol, paling panjang %(n)s.")
            % {"name": name, "n": longest},
        )
    if required and not value.strip():
        _refuse(row, _("%s wajib diisi.") % name)
    return value.strip()


def _validated(rows: list[TransactionInput]) -> list[tuple]:
    today = timezone.localdate()
    out = []
    for n, row in enumerate(rows, start=1):
        try:  # canonical text, so it compares with the customers found; not a UUID: no customer
            customer_id = str(uuid.UUID(str(row.customer_id)))
        except ValueError:
            _refuse(n, _("nasabah tidak ditemukan."), field="customer")
        booked_on = row.booked_on
        # a datetime is a date too, but cannot be compared with one (TypeError, not a refusal)
        if (
            isinstance(booked_on, datetime)
            or not isinstance(booked_on, date)
            or not (EARLIEST <= booked_on <= today)
        ):
            _refuse(n, _("tanggal transaksi harus antara 1 Jan 2000 dan hari ini."))
        if isinstance(row.amount, bool) or not isinstance(row.amount, int):
            _refuse(n, _("nominal harus bilangan bulat rupiah."))
        if row.amount < 0:
            _refuse(n, _("nominal tidak boleh negatif."))
        if row.amount >= MAX_AMOUNT:
            _refuse(n, _("nominal terlalu besar."))
        if row.channel not in TxChannel.values:
            _refuse(n, _("kanal tidak dikenal."))
        if row.merchant_category and row.merchant_category not in MerchantCategory.values:
            _refuse(n, _("kategori merchant tidak dikenal."))
        merchant_id = _check_text(n, row.merchant_id, _("ID merchant"), 40, required=False)
        reference = _check_text(n, row.reference, _("Referensi"), 64, required=True)
        out.append(
            (
                customer_id,
                row.booked_on,
                row.amount,
                row.channel,
                row.merchant_category or "",
                merchant_id,
                reference,
            )
        )
    return out


# One statement: insert what is new (a reference seen before is skipped), then fold exactly
# the inserted rows into the rollup — in customer/month order, so concurrent batches lock
# rollup rows in the same order.
_RECORD_SQL = """
WITH input AS (
    SELECT * FROM unnest(%s::uuid[], %s::date[], %s::bigint[], %s::text[], %s::text[],
                         %s::text[], %s::text[])
        AS t(customer_id, booked_on, amount, channel, merchant_category, merchant_id, reference)
), ins AS (
    INSERT INTO insight_transaction
        (customer_id, booked_on, amount, channel, merchant_category, merchant_id, reference,
         created_at)
    SELECT customer_id, booked_on, amount, channel, merchant_category, merchant_id, reference,
           now()
    FROM input
    ON CONFLICT (reference) DO NOTHING
    RETURNING id, customer_id, booked_on, amount
), up AS (
    INSERT INTO insight_monthlyrollup (customer_id, month, tx_count, amount_total, last_booked_on)
    SELECT customer_id, date_trunc('month', booked_on)::date, count(*), sum(amount), max(booked_on)
    FROM ins GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (customer_id, month) DO UPDATE SET
        tx_count = insight_monthlyrollup.tx_count + EXCLUDED.tx_count,
        amount_total = insight_monthlyrollup.amount_total + EXCLUDED.amount_total,
        last_booked_on = GREATEST(insight_monthlyrollup.last_booked_on, EXCLUDED.last_booked_on)
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM up),
       (SELECT min(id) FROM ins), (SELECT max(id) FROM ins)
"""


def transactions_record(*, actor, rows: list[TransactionInput]) -> int:
    """Store a batch of booked transactions (all or nothing) and keep the rollup current;
    returns how many were new. Negative amounts, future dates, unknown channels or customers
    outside the actor's reach refuse the whole batch with the row named. A feed's integration
    actor needs ``insight.transaction.record`` and the customers in its write scope
    (customers' published rule ``customers_writable``: a system key's branches)."""
    authz.require(actor, TRANSACTION_RECORD)
    if not isinstance(rows, list) or not rows:
        raise ServiceError("transaction_invalid", _("Tidak ada transaksi."), field="rows")
    if len(rows) > MAX_BATCH:
        raise ServiceError(
            "transaction_invalid",
            _("Paling banyak %s transaksi per batch.") % MAX_BATCH,
            field="rows",
        )
    values = _validated(rows)
    wanted = {v[0] for v in values}
    with transaction.atomic():
        known = {
            str(pk)
            for pk in customers_writable(actor, permission=TRANSACTION_RECORD)
            .filter(pk__in=wanted, merged_into__isnull=True)
            .values_list("pk", flat=True)
        }
        for n, v in enumerate(values, start=1):
            if v[0] not in known:
                _refuse(n, _("nasabah tidak ditemukan."), field="customer")
        columns = [list(c) for c in zip(*values, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(_RECORD_SQL, columns)
            inserted, months, first_id, last_id = cursor.fetchone()
        # first_id..last_id: the ids of this batch's new rows (for set-based handlers)
        events.emit(
            TRANSACTIONS_RECORDED, actor=actor, count=inserted, first_id=first_id, last_id=last_id
        )
        audit.record(
            actor=actor,
            action=AuditAction.RECORD_TRANSACTIONS,
            object_type="insight.TransactionBatch",
            object_id=str(len(values)),
            meta={"received": len(values), "new": inserted, "months_touched": months},
        )
    return inserted


def rollup_rebuild(customer_ids) -> None:
    """Recompute the rollup of these customers from their transactions (after a merge moved
    transactions between them). Runs in the caller's transaction."""
    ids = [str(i) for i in customer_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM insight_monthlyrollup WHERE customer_id = ANY(%s::uuid[])", [ids]
        )
        cursor.execute(
            """INSERT INTO insight_monthlyrollup
                   (customer_id, month, tx_count, amount_total, last_booked_on)
               SELECT customer_id, date_trunc('month', booked_on)::date, count(*), sum(amount),
                      max(booked_on)
               FROM insight_transaction WHERE customer_id = ANY(%s::uuid[])
               GROUP BY 1, 2 ORDER BY 1, 2""",
            [ids],
        )


def move_transactions(absorbed, survivor) -> int:
    """Merge mover: the transactions follow the person; both rollups are rebuilt."""
    moved = Transaction.objects.filter(customer=absorbed).update(customer=survivor)
    if moved:
        rollup_rebuild([absorbed.pk, survivor.pk])
    return moved


# ----------------------------------------------------------------------------- RFM run


def window_for(as_of: date) -> tuple[date, date]:
    """The rolling window: the twelve calendar months ending with ``as_of``'s month, as
    [start, end) — month granularity, so the rollup serves it exactly."""
    first = as_of.replace(day=1)
    months = first.year * 12 + first.month - 1 - (WINDOW_MONTHS - 1)
    start = date(months // 12, months % 12 + 1, 1)
    end = (first + timedelta(days=32)).replace(day=1)
    return start, end


_AGG_FROM = {
    # Twelve rollup rows per customer at most: the nightly path.
    "rollup": """SELECT customer_id, SUM(tx_count)::bigint AS cnt,
                        SUM(amount_total)::bigint AS amount, MAX(last_booked_on) AS last_on
                 FROM insight_monthlyrollup
                 WHERE month >= %(start)s AND month < %(end)s
                 GROUP BY customer_id""",
    # Every transaction: the naive path, kept for the benchmark and the agreement test.
    "transactions": """SELECT customer_id, COUNT(*)::bigint AS cnt,
                              SUM(amount)::bigint AS amount, MAX(booked_on) AS last_on
                       FROM insight_transaction
                       WHERE booked_on >= %(start)s AND booked_on < %(end)s
                       GROUP BY customer_id""",
}


def rfm_sql(source: str = "rollup") -> str:
    """The run's one statement; the scores and segments come from ``rules`` (one rule)."""
    r, f, m = rules.sql_scores(days="days", count="cnt", amount="amount")
    return f"""
WITH agg AS ({_AGG_FROM[source]}),
scored AS (
    SELECT c.id AS customer_id,
           CASE WHEN a.last_on IS NOT NULL THEN GREATEST(%(as_of)s::date - a.last_on, 0)
           END AS days,
           COALESCE(a.cnt, 0) AS cnt,
           GREATEST(COALESCE(a.amount, 0), 0) AS amount
    FROM customers_customer c LEFT JOIN agg a ON a.customer_id = c.id
    -- Not merged away, and not objecting to profiling (consent's rule, UU PDP Pasal 10).
    WHERE c.merged_into_id IS NULL AND NOT {objects_to_profiling_sql("c.id")}
),
-- MATERIALIZED: r, f and m are computed once per customer; inlined, the segment CASE would
-- evaluate the score CASEs again for every condition that names them.
rfm AS MATERIALIZED (
    SELECT customer_id, days, cnt, amount, {r} AS r, {f} AS f, {m} AS m FROM scored
),
seg AS (SELECT *, {rules.sql_segment()} AS segment FROM rfm),
ins AS (
    INSERT INTO insight_rfmscore
        (customer_id, run_id, recency_days, frequency_count, monetary_value, r, f, m, total,
         segment, clv_proxy)
    SELECT customer_id, %(run)s, days, cnt, amount, r, f, m, r + f + m, segment,
           {rules.sql_clv("segment")}
    FROM seg ORDER BY customer_id
    RETURNING segment
)
SELECT segment, count(*) FROM ins GROUP BY segment
"""  # noqa: S608 (the rule's own CASE expressions; every value is a bound parameter)


def rfm_run_compute(
    *, actor, trigger: str = RunTrigger.MANUAL, as_of: date | None = None, source: str = "rollup"
) -> RfmRun:
    """Score every customer (not merged away, not objecting to profiling: consent's
    ``objects_to_profiling``) over the rolling window, set-based, and keep the run. Runs are
    serialised (a transaction-level advisory lock); earlier runs stay. A nightly run is once
    per day: a retried job (a worker killed after the commit) gets that day's run back, so
    movement is never measured against a copy of itself."""
    authz.require(actor, RFM_RUN)
    if trigger not in RunTrigger.values or source not in _AGG_FROM:
        raise ServiceError("rfm_invalid", _("Pemicu perhitungan tidak dikenal."))
    as_of = as_of or timezone.localdate()
    if not isinstance(as_of, date) or not (EARLIEST <= as_of <= timezone.localdate()):
        raise ServiceError("rfm_invalid", _("Tanggal acuan harus antara 2000 dan hari ini."))
    start, end = window_for(as_of)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_RUN_LOCK])
            # One big aggregate and sort: let them stay in memory (this transaction only).
            cursor.execute("SET LOCAL work_mem = '128MB'")
        if trigger == RunTrigger.NIGHTLY:
            done = RfmRun.objects.filter(trigger=trigger, as_of=as_of).order_by("pk").first()
            if done is not None:
                return done
        run = RfmRun.objects.create(
            as_of=as_of,
            window_start=start,
            trigger=trigger,
            started_by=getattr(actor, "username", "") or "system",
        )
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                rfm_sql(source), {"start": start, "end": end, "as_of": as_of, "run": run.pk}
            )
            counts = {segment: n for segment, n in cursor.fetchall()}
        run.seconds = time.perf_counter() - began
        run.counts = {s: counts.get(s, 0) for s in rules.Segment.values}
        run.customers = sum(counts.values())
        run.save(update_fields=["seconds", "counts", "customers"])
        events.emit(RFM_COMPUTED, actor=actor, run=run)
        audit.record(
            actor=actor,
            action=AuditAction.COMPUTE_RFM,
            obj=run,
            meta={"trigger": trigger, "as_of": as_of.isoformat(), "counts": run.counts},
        )
    return run
