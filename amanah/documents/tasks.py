from django.conf import settings
from django.db import transaction
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

RETENTION_LOCK = "documents_retention"


@app.periodic(cron=settings.DOCUMENTS_RETENTION_CRON, periodic_id=RETENTION_LOCK)
@app.task(queue="housekeeping", queueing_lock=RETENTION_LOCK, lock=RETENTION_LOCK)
def documents_retention(timestamp: int) -> dict:
    """Daily: purge one batch of documents whose retention is over (``documents/retention.py``);
    a full batch means there may be more: defer the next one now (the locks keep it single).
    Once the backlog is worked off, remove the stored files no live version refers to."""
    from amanah.documents.retention import documents_purge_due, orphan_files_remove

    purged = documents_purge_due()
    if purged >= settings.DOCUMENTS_RETENTION_BATCH:
        try:
            with transaction.atomic():
                documents_retention.defer(timestamp=timestamp)
        except AlreadyEnqueued:
            pass
        return {"purged": purged, "orphans_removed": 0}
    return {"purged": purged, "orphans_removed": orphan_files_remove()}
