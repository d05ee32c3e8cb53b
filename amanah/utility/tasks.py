"""The billing run as a job (one per run; its slices commit one by one)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from amanah.core.actors import declare_actor
from amanah.utility.policies import BILLING_RUN

# The daily late fees: charged on every branch's overdue installments and posted to the
# journal (the posting rule asks BILLING_RUN), nothing else.
LATE_FEES = declare_actor("utility-late-fees", permissions=(BILLING_RUN,), all_branches=True)


@app.task(queue="utility", queueing_lock="utility_billing", lock="utility_billing")
def billing_run_job(run_id: int) -> str:
    from amanah.utility.billing import billing_execute

    return billing_execute(run_id)


@app.periodic(cron="40 1 * * *", periodic_id="utility_late_fees")
@app.task(queue="utility", queueing_lock="utility_late_fees", lock="utility_late_fees")
def late_fees_job(timestamp: int) -> dict:
    """Once a day: the denda of overdue RAB installments up to today (idempotent: each
    installment and month late is charged once)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from amanah.utility.installations import late_fees_assess

    day = timezone.localdate(datetime.fromtimestamp(timestamp, tz=UTC))
    done = late_fees_assess(actor=LATE_FEES, as_of=day)
    return {"fees": done.fees, "amount": done.amount}


@app.periodic(cron="*/10 * * * *", periodic_id="utility_installation_reminders")
@app.task(
    queue="utility",
    queueing_lock="utility_installation_reminders",
    lock="utility_installation_reminders",
)
def installation_reminders_job(timestamp: int) -> dict:
    """Every 10 minutes: remind whoever may take a new connection's next step when 80 % of
    its time is used (DUE_SOON) and when its deadline passed (OVERDUE); idempotent, each
    stage reminded once per kind."""
    from amanah.utility.installations.reminders import installation_reminders

    return installation_reminders().__dict__


@app.periodic(cron="15 * * * *", periodic_id="utility_customer_notices")
@app.task(
    queue="utility", queueing_lock="utility_customer_notices", lock="utility_customer_notices"
)
def customer_notices_job(timestamp: int) -> dict:
    """Every hour: the customer notices due (bill issued, installment due soon, late fee,
    arrears), batch by batch; each notice at most once (``utility.notices``)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from amanah.utility.notices import customer_notices_run

    return customer_notices_run(as_of=timezone.localdate(datetime.fromtimestamp(timestamp, tz=UTC)))


@app.task(queue="utility")
def incident_notice_job(incident_id: int, kind: str, after: str = "") -> dict:
    """One batch of an incident's notices to the pelanggan of its area, then the next batch as
    a job of its own (idempotent: a batch run twice queues nothing new)."""
    from amanah.utility.incidents.notices import incident_notify_batch

    batch = incident_notify_batch(incident_id=incident_id, kind=kind, after=after)
    if batch.next_after is not None:
        incident_notice_job.defer(incident_id=incident_id, kind=kind, after=batch.next_after)
    return {"told": batch.told, "refused": batch.refused, "already": batch.already}
