"""Who is asking, from where: set once per request (or job) and read by the audit writer."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current = contextvars.ContextVar("amanah_request_meta", default=RequestMeta())  # noqa: B039 (frozen)


def current() -> RequestMeta:
    return _current.get()


@contextmanager
def bound(meta: RequestMeta):
    token = _current.set(meta)
    try:
        yield meta
    finally:
        _current.reset(token)
