"""Read replicas: dashboards, exports and reports read from a streaming replica (DESIGN §2).

Nothing here is active unless ``DATABASE_REPLICA_URL`` is set: then ``settings`` adds the
``replica`` alias, :class:`ReplicaRouter` and :class:`ReplicaPinMiddleware` (docs/scaling.md).

**Which reads go to the replica: only those that opt in.** A view (or any block of code) that
may read slightly stale data says so with :func:`reads_from_replica` (a decorator or a context
manager). Everything else — every write, every read of a service, every job — stays on the
primary. We do not guess by model: the same table is read by a dashboard (stale is fine) and by
the service about to change it (stale is a bug).

Even inside ``reads_from_replica``:

- writes go to the primary (``db_for_write`` always answers ``default``);
- reads inside a transaction on the primary stay there (what the transaction wrote, or locked,
  is only there) — an export reads first, then records its audit row in a transaction;
- reads of a user who wrote moments ago stay on the primary (*read-your-writes*): a request
  with an unsafe method (POST, PUT, PATCH, DELETE) sets a short cookie
  (``REPLICA_PIN_SECONDS``, default 10 s) and, while it lasts, that browser's requests read
  from the primary. A replica a few hundred milliseconds behind never shows a user a list
  without the case they just created.

Migrations never run on the replica (``allow_migrate``), and in tests the alias mirrors
``default`` (``TEST["MIRROR"]``) so no second test database is made.
"""

from __future__ import annotations

import contextvars
import time
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"
PIN_COOKIE = "amanah_primary"

# True inside reads_from_replica(): opted-in reads may go to the replica.
_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "amanah_on_replica", default=False
)
# True while the current user's reads are pinned to the primary (set per request).
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("amanah_pinned", default=False)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def pin_seconds() -> int:
    return int(getattr(settings, "REPLICA_PIN_SECONDS", 10))


def reading_alias() -> str:
    """The alias an opted-in read would use right now (``replica`` or ``default``)."""
    if not _on_replica.get() or _pinned.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA_ALIAS


def _streamed(chunks, *, pinned: bool):
    """Chunks of a streamed response, each produced with replica reads on (the view has
    returned by the time the server pulls them, outside the decorator's block)."""
    chunks = iter(chunks)
    while True:
        with reads_from_replica(pinned=pinned):
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


class reads_from_replica:  # noqa: N801 (used like a function: a decorator, a `with` block)
    """Let the reads of a block (or a view) go to the replica when one is configured.

    ``@reads_from_replica()`` on a view also covers a ``StreamingHttpResponse``'s rows, which
    are read after the view returns. ``pinned`` (internal) carries the request's pin there.
    """

    def __init__(self, *, pinned: bool | None = None):
        self._pin = pinned
        self._tokens: list = []

    def __enter__(self):
        tokens = [_on_replica.set(True)]
        if self._pin is not None:
            tokens.append(_pinned.set(self._pin))
        self._tokens.append(tokens)
        return self

    def __exit__(self, *exc):
        tokens = self._tokens.pop()
        for token in reversed(tokens):
            token.var.reset(token)
        return False

    def __call__(self, func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            with reads_from_replica(pinned=self._pin):
                result = func(*args, **kwargs)
            if getattr(result, "streaming", False):
                result.streaming_content = _streamed(
                    result.streaming_content, pinned=self._pin or _pinned.get()
                )
            return result

        wrapper.reads_from_replica = True
        return wrapper


class ReplicaRouter:
    """Opted-in reads to ``replica`` (see the module docstring); everything else to ``default``."""

    def db_for_read(self, model, **hints):
        # Explicit, never None: Django would otherwise follow an instance's own database, and an
        # object read on the replica would pull its relations from there outside the block.
        return reading_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        aliases = {DEFAULT_DB_ALIAS, REPLICA_ALIAS}
        return obj1._state.db in aliases and obj2._state.db in aliases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA_ALIAS else None


def _pinned_by(request) -> bool:
    try:
        until = int(request.COOKIES.get(PIN_COOKIE, ""))
    except ValueError:
        return False
    now = time.time()
    # A cookie reaching further than one pin (edited by hand) is ignored, not obeyed.
    return now < until <= now + pin_seconds() + 1


class ReplicaPinMiddleware:
    """Read-your-writes: after a request that may have written (an unsafe method), that
    browser's reads stay on the primary for ``REPLICA_PIN_SECONDS`` (a cookie holding the
    moment the pin ends; it carries no identifier)."""

    unsafe = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wrote = request.method in self.unsafe
        token = _pinned.set(wrote or _pinned_by(request))
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if wrote and pin_seconds() > 0:
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time()) + pin_seconds()),
                max_age=pin_seconds(),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
