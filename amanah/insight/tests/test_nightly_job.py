"""The nightly RFM job: serialised, and run as a narrow integration actor."""

from amanah.insight.models import RfmRun
from amanah.insight.tasks import rfm_nightly_job
from amanah.insight.testing import book


def test_one_nightly_run_at_a_time():
    assert rfm_nightly_job.lock == "insight_rfm"
    assert rfm_nightly_job.queueing_lock == "insight_rfm"


def test_the_job_scores_every_customer_as_the_scheduler(system, make_customer):
    book(system, make_customer(), days_ago=1, amount=1_000, count=1)
    result = rfm_nightly_job(timestamp=0)
    run = RfmRun.objects.get()
    assert result == {"run": run.pk, "customers": 1}
    assert (run.trigger, run.started_by) == ("NIGHTLY", "integration:insight-rfm")
