"""One read per fact for one view of a customer.

A page about one customer (the 360) asks several apps for their facts through the registry
(``registry.facts``, cards, alerts), and some of them need the same rows: the RFM score for
the value card and for the Next Best Action, the consent states for the header and for the
NBA, the open cases for the cases facts and for the NBA. The owning app publishes such a read
once, decorated with :func:`once_per_view`; the page opens :func:`one_view` around its
providers, and inside it the read runs once per customer and per grants of the actor (the
grants are what ``visible_to`` builds its filter from: another actor, or the same one in
another role, reads for itself). Outside a view every call reads.

The answers live only inside the block: nothing inside it may change what they read (the
360 writes its VIEW_PROFILE audit row after the block). Answers are shared between providers:
a provider must not change the list or objects it is handed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils.functional import SimpleLazyObject

from amanah.core.scopes import grants_of

_ANSWERS: ContextVar[dict | None] = ContextVar("one_view_answers", default=None)


@contextmanager
def one_view() -> Iterator[None]:
    """Inside the block each shared read (and :func:`remembered` key) is answered once."""
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per ``key`` inside :func:`one_view`; every time outside it."""
    answers = _ANSWERS.get()
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def once_per_view(read: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Decorate ``read(customer, actor)``: answered once per customer and actor's grants
    inside :func:`one_view`."""

    @functools.wraps(read)
    def shared(customer, actor):
        key = (read, customer.pk, grants_of(actor))
        return remembered(key, lambda: read(customer, actor))

    return shared


def when_shown(compute: Callable[[], list]) -> SimpleLazyObject:
    """Rows that one tab of the page alone shows (the 360's marketing tab), read the first
    time the page uses them: a page showing another tab does not read them at all."""
    return SimpleLazyObject(compute)
