"""The nightly RFM job: serialised, and run as a narrow integration actor."""

import time

from amanah.insight.models import RfmRun, RfmScore
from amanah.insight.tasks import rfm_nightly_job
from amanah.insight.testing import book


def test_one_nightly_run_at_a_time():
    assert rfm_nightly_job.lock == "insight_rfm"
    assert rfm_nightly_job.queueing_lock == "insight_rfm"


def test_the_job_scores_every_customer_as_the_scheduler(system, make_customer):
    book(system, make_customer(), days_ago=1, amount=1_000, count=1)
    result = rfm_nightly_job(timestamp=int(time.time()))
    run = RfmRun.objects.get()
    assert result == {"run": run.pk, "customers": 1}
    assert (run.trigger, run.started_by) == ("NIGHTLY", "integration:insight-rfm")


def test_a_retried_nightly_job_writes_no_second_run(system, make_customer):
    """A worker killed after the commit: the job runs again for the same schedule slot."""
    book(system, make_customer(), days_ago=1, amount=1_000, count=1)
    slot = int(time.time())
    first = rfm_nightly_job(timestamp=slot)
    assert rfm_nightly_job(timestamp=slot) == first
    assert RfmRun.objects.count() == 1 and RfmScore.objects.count() == 1
