from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection


@pytest.fixture
def on_own_connection(db):
    """``run(fn)`` calls fn on a thread with a database connection of its own, outside the
    test's rolled-back transaction: what it writes is committed at once and other processes
    see it (the test removes it again). The same thread and connection serve every call."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="own-connection")

    def run(fn, *args, **kwargs):
        return executor.submit(fn, *args, **kwargs).result(timeout=120)

    yield run
    run(lambda: connection.close())  # the thread's own connection, looked up there
    executor.shutdown()
