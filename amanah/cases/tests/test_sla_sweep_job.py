"""The SLA sweep job: one waiting at a time, and never two running at once."""

from amanah.cases.tasks import sla_sweep_job


def test_two_workers_never_run_overlapping_sweeps():
    # queueing_lock alone frees as soon as a job starts; only lock serialises the runs.
    assert sla_sweep_job.lock == "sla_sweep"
    assert sla_sweep_job.queueing_lock == "sla_sweep"
