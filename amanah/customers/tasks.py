"""Jobs of the customers app."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


# The nightly repair: a branch gets its index with it (iam.branch_created); this builds what an
# interrupted build or a restore left missing or invalid. ``lock``: one run at a time.
@app.periodic(cron="23 2 * * *", periodic_id="customer_name_indexes")
@app.task(queue="housekeeping", queueing_lock="customer_name_indexes", lock="customer_name_indexes")
def name_indexes_ensure(timestamp: int | None = None) -> dict:
    """Every branch's name-search index exists and is valid (customers.name_indexes); built
    CONCURRENTLY, so customers stay writable meanwhile. Returns what it found to do."""
    from amanah.customers import name_indexes

    found = name_indexes.ensure(concurrently=True)
    if not found.healthy and not found.repaired:
        # Where the roles are separate the worker may not build indexes: counts only (no
        # branch named), for the operator to run the command as the owner.
        logger.warning(
            "customer name indexes differ from the branches (missing %d, invalid %d, "
            "orphaned %d): run manage.py customer_name_indexes --repair as the owner",
            len(found.missing),
            len(found.invalid),
            len(found.orphaned),
        )
    return {
        "missing": len(found.missing),
        "invalid": len(found.invalid),
        "orphaned": len(found.orphaned),
        "repaired": found.repaired,
    }
