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


@contextmanager
def deployment_showing(app_label: str | None) -> Iterator[None]:
    """For tests: run the block as a deployment that shows ``app_label`` — the current
    profile when it does, else the first profile that does (``profile_active``): the PDAM's
    water pages in a suite that runs as the bank."""
    profile = profiles.showing(app_label)
    if profile.key == profiles.current().key:
        yield
        return
    with profile_active(profile.key):
        yield


def deployment_showing_path(path: str):
    """:func:`deployment_showing` for the app of the page at ``path`` (a URL, its query
    ignored; a path nothing resolves runs as the current profile)."""
    from urllib.parse import urlsplit

    from django.urls import Resolver404, resolve

    try:
        view = resolve(urlsplit(path).path).func
    except Resolver404:
        return deployment_showing(None)
    return deployment_showing(profiles.app_of_view(view))


def every_profiles_items(store) -> list[tuple[str, object]]:
    """For tests: a presentation store's ``items()`` in every deployment profile at once, in
    its order (a generic test over the 360's providers checks the PDAM's too)."""
    entries = sorted(store._entries.items(), key=lambda kv: (kv[1].order, kv[0]))
    return [(key, entry.value) for key, entry in entries]


def app_under_test(path) -> str | None:
    """``amanah/<app>/tests/…`` -> ``<app>``: the app a test file belongs to (None outside)."""
    from pathlib import Path

    try:
        parts = Path(path).resolve().relative_to(profiles.BASE_DIR).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 2 and parts[1] == "tests" else None


def stop_process(process: subprocess.Popen, *, seconds: float = 15) -> None:
    """Stop a server a test started: SIGTERM, and SIGKILL when it is not gone in ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def served(application, path: str, *, method: str = "GET", body: bytes = b"", **environ) -> dict:
    """``path`` through a WSGI ``application`` as gunicorn hands it a request (for the routes
    ``amanah.wsgi`` serves through another middleware chain than the test client's, e.g. the
    lean one): ``{"status", "headers", "body"}``. The test's transaction stays open: the
    request's signals do not close its connection."""
    import io
    from wsgiref.util import setup_testing_defaults

    from django.core.signals import request_started
    from django.db import close_old_connections

    env = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "localhost",
        **environ,
    }
    setup_testing_defaults(env)
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    request_started.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(env, start_response))
    finally:
        request_started.connect(close_old_connections)
    return answer
