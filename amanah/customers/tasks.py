"""Jobs of the customers app."""

from __future__ import annotations

from procrastinate.contrib.django import app


# The nightly repair: a branch gets its index with it (iam.branch_created); this builds what an
# interrupted build or a restore left missing or invalid. ``lock``: one run at a time.
@app.periodic(cron="23 2 * * *", periodic_id="customer_name_indexes")
@app.task(queue="housekeeping", queueing_lock="customer_name_indexes", lock="customer_name_indexes")
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
