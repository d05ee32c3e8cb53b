"""Jobs of the customers app."""

from __future__ import annotations

from procrastinate.contrib.django import app


# Queued by ``iam.branch_created`` in the branch's transaction (so it runs only once the branch
# has committed) and nightly as the repair. No queueing lock: a second waiting run must not
# make the branch's transaction fail; ``lock`` runs one at a time, and each is idempotent.
@app.periodic(cron="23 2 * * *", periodic_id="customer_name_indexes")
@app.task(queue="housekeeping", lock="customer_name_indexes")
def name_indexes_ensure(timestamp: int | None = None) -> dict:
    """Every branch's name-search index exists and is valid (customers.name_indexes); built
    CONCURRENTLY, so customers stay writable meanwhile. Returns what it found to do."""
    from amanah.customers import name_indexes

    found = name_indexes.ensure(concurrently=True)
    return {
        "missing": len(found.missing),
        "invalid": len(found.invalid),
        "orphaned": len(found.orphaned),
    }
