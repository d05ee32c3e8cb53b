"""The permission checks every view gets (after NetBox's ViewTestCases).

A ``ViewCase`` names a route, how to build its URL arguments from a small world of branches
and users, and (for object pages) an object outside the actor's scope. One parametrized test
then checks: anonymous → login, signed in without the permission → 403, permitted → OK,
out of scope → 404.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from amanah.core import profiles
from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey


@dataclass(frozen=True)
class ViewCase:
    url_name: str
    permission: str
    kwargs: Callable[[dict], dict] = field(default=lambda world: {})
    out_of_scope: Callable[[dict], dict] | None = None
    method: str = "get"
    data: Callable[[dict], dict] = field(default=lambda world: {})
    ok_status: tuple[int, ...] = (200,)
    role: str | None = None  # the permitted role, when the least privileged holder won't do
    # URL arguments that depend on the signed-in user (e.g. their own notification)
    own_kwargs: Callable[[dict, object], dict] | None = None

    def permitted_role(self) -> str:
        return self.role or role_with(self.permission)

    @property
    def id(self) -> str:
        return f"{self.method}:{self.url_name}"


def missing_kwargs(kwargs: dict) -> dict:
    """The same URL arguments pointing at nothing: a fresh uuid, an unused integer id; the
    other parts kept (what an out-of-scope object must be answered like)."""
    import uuid

    return {
        k: uuid.uuid4() if isinstance(v, uuid.UUID) else 10**9 if isinstance(v, int) else v
        for k, v in kwargs.items()
    }


def role_with(permission: str) -> str:
    """A role holding ``permission`` in the default matrix (the least privileged first)."""
    order = [
        RoleKey.AGENT,
        RoleKey.SUPERVISOR,
        RoleKey.RM,
        RoleKey.MARKETING,
        RoleKey.DIRECTOR,
        RoleKey.COMPLIANCE,
        RoleKey.ADMIN,
    ]
    holders = catalogue()[permission].default_roles
    return next(str(r) for r in order if str(r) in holders)


# --------------------------------------------------------------------------- real threads
# Concurrency tests need writes that really commit: the ``db`` fixture keeps the test's own
# connection in one rolled-back transaction, and ``transaction=True`` cannot be used because
# its teardown TRUNCATEs the append-only audit table. These run work on threads with database
# connections of their own (autocommit), closed when the thread ends.


def run_in_threads(work: Callable[[int], None], count: int, *, timeout: float = 120) -> list:
    """Run ``work(n)`` for n in range(count) on ``count`` threads started together.

    Returns the exceptions raised (empty when all went well); fails if a thread is still
    running after ``timeout`` seconds."""
    import threading

    from django.db import connection

    start = threading.Barrier(count)
    errors: list = []

    def run(n: int) -> None:
        try:
            start.wait(timeout=timeout)
            work(n)
        except Exception as error:  # noqa: BLE001 (reported to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    return errors


def on_own_connection(work: Callable[[], object], *, timeout: float = 120) -> object:
    """Run ``work()`` on a thread with its own connection, so what it writes commits; return
    its result or raise its error."""
    result: list = []
    errors = run_in_threads(lambda _n: result.append(work()), 1, timeout=timeout)
    if errors:
        raise errors[0]
    return result[0]


@contextmanager
def profile_active(key: str) -> Iterator[None]:
    """For tests: run the block as a deployment of profile ``key`` (``AMANAH_PROFILE`` and the
    profile's catalogue first in ``LOCALE_PATHS``, as the settings would have them); Django
    drops its loaded catalogues on entry and on exit."""
    from django.test import override_settings

    profile = profiles.get(key)
    with override_settings(
        AMANAH_PROFILE=profile.key,
        LOCALE_PATHS=[*profile.locale_paths, profiles.BASE_DIR / "locale"],
    ):
        yield


def stop_process(process: subprocess.Popen, *, seconds: float = 15) -> None:
    """Stop a server a test started: SIGTERM, and SIGKILL when it is not gone in ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
