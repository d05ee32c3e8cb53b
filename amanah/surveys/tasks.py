from django.conf import settings
from procrastinate.contrib.django import app

from amanah.core.tasks import defer_unless_waiting

NPS_LOCK = "surveys_nps_schedule"


@app.periodic(cron=settings.SURVEY_NPS_CRON, periodic_id=NPS_LOCK)
@app.task(queue="surveys", queueing_lock=NPS_LOCK, lock=NPS_LOCK)
def nps_schedule(timestamp: int) -> int:
    """One batch of NPS invitations (``handlers.nps_batch``); a full batch means there may be
    more: defer the next one now (the locks keep it single, the keys keep it idempotent)."""
    from amanah.surveys.handlers import nps_batch

    handled = nps_batch()
    if handled >= settings.SURVEY_NPS_BATCH:
        defer_unless_waiting(nps_schedule, timestamp=timestamp)
    return handled
