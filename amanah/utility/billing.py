"""The monthly billing run: one bill per active connection per period, from its readings.

Set-based: for each slice of connection ids (``UTILITY_BILLING_BATCH``) one
``INSERT … SELECT`` computes usage (this reading − the previous one; from 0 after a meter
replacement or for a first reading), the tariff blocks' sum (``tariffs.BLOCK_SQL``, the same
arithmetic as ``tariffs.water_amount``) and the fixed charge, ``ON CONFLICT DO NOTHING`` on
(connection, period) — so re-running a period creates only what is missing, and two runs at
once cannot bill twice. The new bills' journal entries (D piutang air / K pendapatan air) go
through ``ledger.post_many_for`` in the same transaction; each slice commits on its own, so a
failure keeps the slices before it and a re-run finishes the rest.

A connection whose credit (overpayment) is above zero has it applied to its new bill.
Active connections without a reading for the period get no bill (counted on the run).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.ledger.contract import Posting, chart, post_many_for, simple_rule
from amanah.utility import accounts, tariffs
from amanah.utility.models import BillingRun, Connection, RunStatus
from amanah.utility.policies import BILLING_RUN, CONNECTION_VIEW, PAYMENT_APPLY
from amanah.utility.services import month_of

log = logging.getLogger(__name__)

BILLS_ISSUED = events.declare("utility.bills_issued")
# A billing run moves a connection's credit onto its new bills itself: a receipt of 0 with its
# journal entry, on any branch's connection — that and nothing else.
CREDIT_MOVER = declare_actor(
    "utility-billing-credit", permissions=(PAYMENT_APPLY, CONNECTION_VIEW), all_branches=True
)
BILL_RULE = "utility.bill"
RULE = simple_rule(
    gettext_noop("Tagihan rekening air"),
    BILLING_RUN,
    debit=chart.PIUTANG_AIR,
    credit=chart.PENDAPATAN_AIR,
)

# Constant text: the block arithmetic is ours, every value is a bound parameter.
_INSERT = """
WITH cand AS (
    SELECT c.id AS cid, c.tariff_group_id AS g, cur.reading AS now_r,
           CASE WHEN cur.replacement THEN 0 ELSE COALESCE(prev.reading, 0) END AS prev_r
      FROM utility_connection c
      JOIN utility_meterreading cur ON cur.connection_id = c.id AND cur.period = %(period)s
      LEFT JOIN LATERAL (
            SELECT r.reading FROM utility_meterreading r
             WHERE r.connection_id = c.id AND r.period < %(period)s
             ORDER BY r.period DESC LIMIT 1) prev ON true
     WHERE c.status = 'ACTIVE' AND c.id >= %(low)s AND c.id < %(high)s
), used AS (
    SELECT cid, g, prev_r, now_r, now_r - prev_r AS u FROM cand WHERE now_r >= prev_r
)
INSERT INTO utility_bill (connection_id, period, previous_reading, reading, usage_m3,
                          water_amount, fixed_charge, total, paid, status, issued_on, due_on,
                          run_id)
SELECT u.cid, %(period)s, u.prev_r, u.now_r, u.u, w.amount, tg.fixed_charge,
       w.amount + tg.fixed_charge, 0, 'OPEN', %(issued)s, %(due)s, %(run)s
  FROM used u
  JOIN utility_tariffgroup tg ON tg.id = u.g
  CROSS JOIN LATERAL (SELECT BLOCKS::bigint AS amount) w
ON CONFLICT (connection_id, period) DO NOTHING
RETURNING id, connection_id, total
""".replace("BLOCKS", tariffs.BLOCK_SQL.format(u="u.u", g="u.g"))


def due_date(period: dt.date) -> dt.date:
    """The bill of a period is due on ``UTILITY_BILL_DUE_DAY`` of the following month."""
    following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following.replace(day=min(int(settings.UTILITY_BILL_DUE_DAY), 28))


@transaction.atomic
def billing_start(*, actor, period) -> BillingRun:
    """Queue the billing run of a period (a batched job); refused while one is running."""
    authz.require(actor, BILLING_RUN)
    month = month_of(period)
    if BillingRun.objects.select_for_update().filter(status=RunStatus.RUNNING).exists():
        raise ServiceError(
            "billing_running", _("Penagihan lain sedang berjalan; tunggu sampai selesai.")
        )
    run = BillingRun.objects.create(
        period=month,
        started_by=user_or_none(actor),
        actor_ref=events.actor_reference(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.RUN_BILLING,
        obj=run,
        meta={"period": f"{month:%Y-%m}", "step": "queued"},
    )
    from amanah.utility.tasks import billing_run_job

    billing_run_job.defer(run_id=run.pk)
    return run


def billing_run(*, actor, period, run: BillingRun | None = None) -> BillingRun:
    """Bill every active connection with a reading for ``period`` (slices committed one by
    one; not inside a caller's transaction). Answers the finished run."""
    authz.require(actor, BILLING_RUN)
    month = month_of(period)
    if run is None:
        run = BillingRun.objects.create(
            period=month,
            started_by=user_or_none(actor),
            actor_ref=events.actor_reference(actor),
        )
    issued, due = timezone.localdate(), due_date(month)
    started = time.monotonic()
    try:
        bounds = Connection.objects.filter(status="ACTIVE").values_list("pk", flat=True)
        low = bounds.order_by("pk").first()
        high = bounds.order_by("-pk").first()
        step = int(settings.UTILITY_BILLING_BATCH)
        if low is not None:
            for start in range(low, high + 1, step):
                created, amount = _slice(actor, run, month, start, start + step, issued, due)
                run.bills_created += created
                run.amount += amount
                BillingRun.objects.filter(pk=run.pk).update(
                    bills_created=run.bills_created, amount=run.amount
                )
        run.skipped_no_reading = (
            Connection.objects.filter(status="ACTIVE").exclude(bills__period=month).count()
        )
        run.status = RunStatus.DONE
    except ServiceError as error:
        run.status, run.failure = RunStatus.FAILED, error.message[:300]
    except Exception:
        log.exception("billing run failed")
        run.status, run.failure = RunStatus.FAILED, _("Kesalahan sistem; lihat log.")
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        audit.record(
            actor=actor,
            action=AuditAction.RUN_BILLING,
            obj=run,
            meta={
                "period": f"{month:%Y-%m}",
                "step": "finished",
                "status": run.status,
                "bills": run.bills_created,
                "amount": run.amount,
                "no_reading": run.skipped_no_reading,
                "seconds": round(time.monotonic() - started, 1),
            },
        )
    return run


@transaction.atomic
def _slice(actor, run, month, low, high, issued, due) -> tuple[int, int]:
    with db.cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "period": month,
                "low": low,
                "high": high,
                "issued": issued,
                "due": due,
                "run": run.pk,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        return 0, 0
    label = f"{month:%Y%m}"
    post_many_for(
        actor=actor,
        rule=BILL_RULE,
        postings=[
            Posting(
                f"utility.bill:{bill_id}",
                issued,
                f"Rekening air RA-{label}-{cid:08d}",
                {"amount": total},
            )
            for bill_id, cid, total in rows
            if total > 0
        ],
        audit_each=False,  # the run is audited; one event per slice for its entries
    )
    ids = tuple(bill_id for bill_id, _c, _t in rows)
    events.emit(BILLS_ISSUED, actor=actor, period=month, bill_ids=ids)
    # The slice's connections with credit that got a bill of this run: by id range and run,
    # not ``pk__in`` the slice's ids (a 10,000-parameter IN list took a quarter of the run,
    # most of it building and quoting the statement in Python).
    with_credit = (
        Connection.objects.filter(
            pk__gte=low, pk__lt=high, credit__gt=0, bills__run=run, bills__period=month
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for cid in with_credit:
        accounts.credit_apply(actor=_credit_actor(actor), connection_id=cid, on=issued)
    return len(rows), sum(total for _b, _c, total in rows)


def _credit_actor(actor):
    """Credit is moved to the new bills by the run itself (it needs no cashier)."""
    return CREDIT_MOVER


def billing_execute(run_id: int) -> str:
    """The job: run a queued billing run for whoever started it."""
    run = BillingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()
    if run is None:
        return "gone"
    actor = events.resolve_actor(run.actor_ref)
    return billing_run(actor=actor, period=run.period, run=run).status


@transaction.atomic
def bill_connection(*, actor, connection_id: int, period) -> int | None:
    """One connection's bill for ``period``, the row-by-row way (the ORM, the Python block
    arithmetic, ``post_for``): for a single re-bill, and the baseline the billing benchmark
    compares the set-based run with. Same result as the run; None when there is nothing to
    bill (not active, no reading, already billed)."""
    from amanah.ledger.contract import post_for
    from amanah.utility.models import Bill, MeterReading

    authz.require(actor, BILLING_RUN)
    month = month_of(period)
    conn = (
        Connection.objects.select_related("tariff_group")
        .filter(pk=connection_id, status="ACTIVE")
        .first()
    )
    current = MeterReading.objects.filter(connection_id=connection_id, period=month).first()
    if (
        conn is None
        or current is None
        or Bill.objects.filter(connection_id=connection_id, period=month).exists()
    ):
        return None
    before = (
        MeterReading.objects.filter(connection_id=connection_id, period__lt=month)
        .order_by("-period")
        .first()
    )
    previous = 0 if current.replacement or before is None else before.reading
    if current.reading < previous:
        return None
    blocks = list(conn.tariff_group.blocks.values_list("from_m3", "to_m3", "price"))
    water = tariffs.water_amount(blocks, current.reading - previous)
    issued = timezone.localdate()
    bill = Bill.objects.create(
        connection=conn,
        period=month,
        previous_reading=previous,
        reading=current.reading,
        usage_m3=current.reading - previous,
        water_amount=water,
        fixed_charge=conn.tariff_group.fixed_charge,
        total=water + conn.tariff_group.fixed_charge,
        issued_on=issued,
        due_on=due_date(month),
    )
    if bill.total > 0:
        post_for(
            actor=actor,
            rule=BILL_RULE,
            source_key=f"utility.bill:{bill.pk}",
            date=issued,
            description=f"Rekening air {bill.number}",
            amount=bill.total,
        )
    events.emit(BILLS_ISSUED, actor=actor, period=month, bill_ids=(bill.pk,))
    return bill.pk
