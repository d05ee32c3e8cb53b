from django.conf import settings
from procrastinate.contrib.django import app


@app.periodic(cron=f"*/{settings.AUDIT_CHECKPOINT_MINUTES} * * * *", periodic_id="audit_checkpoint")
@app.task(queue="housekeeping", queueing_lock="audit_checkpoint")
def audit_checkpoint(timestamp: int) -> int | None:
    """Every few minutes, a signed checkpoint of the chain head outside the database (skipped
    when the head has not moved). The interval bounds how many newest rows could be removed
    without ``amanah audit verify`` noticing."""
    from amanah.audit.chain import checkpoint_write

    checkpoint = checkpoint_write(only_if_moved=True)
    return checkpoint.id if checkpoint else None
