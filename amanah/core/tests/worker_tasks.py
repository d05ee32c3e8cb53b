"""Tasks that exist only for the worker fault tests (imported by workers when AMANAH_ENV=test,
see PROCRASTINATE_IMPORT_PATHS)."""

from __future__ import annotations

import time

from procrastinate.contrib.django import app

QUEUE = "faults"


@app.task(queue=QUEUE, pass_context=True)
def hold(context, first_attempt_seconds: float = 0) -> int:
    """Hold the first attempt for a while (the test kills its worker meanwhile); a retry
    returns at once. Returns the attempt number it finished on."""
    if context.job.attempts == 0:
        time.sleep(first_attempt_seconds)
    return context.job.attempts
