"""Names for the sources of messages, given by the apps that own them.

The outbox knows a message's ``source`` and ``source_id`` (a campaign's id, a case's id …) but
messaging sits below those apps and must not import them. An app registers a resolver for
its source — ``register_source_labels(MessageSource.CAMPAIGN, names)``, where ``names(ids)``
returns ``{id: label}`` in one query — and pages such as the channel analytics show the label
(the campaign's name) instead of a bare id. An id without a label keeps the id.

A source whose labels depend on who asks registers with ``scoped=True``: its resolver is
called ``names(ids, actor=actor)`` and answers only for what the actor may see (a case's
number only for cases the actor may open, ``cases.contract.case_numbers``); without an actor
it answers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from amanah.core.registry import Registry

LabelResolver = Callable[[list[str]], dict[str, str]]

source_labels = Registry("message source labels")
scoped_sources = Registry("message sources labelled per actor")


def register_source_labels(
    source: str, resolve: LabelResolver, *, scoped: bool = False
) -> LabelResolver:
    """Register how ids of ``source`` get their labels (once per source); ``scoped``: the
    resolver takes ``actor=`` and names only what that actor may see."""
    if scoped:
        scoped_sources.register(source, True)
    return source_labels.register(source, resolve)


def labels_for(source: str, ids: Iterable[str], *, actor=None) -> dict[str, str]:
    """``{id: label}`` for the ids the owner knows (none when no owner registered; for a
    scoped source, only those ``actor`` may see, none without an actor)."""
    ids = sorted({str(i) for i in ids if i})
    if not ids or source not in source_labels:
        return {}
    if source in scoped_sources:
        return source_labels.get(source)(ids, actor=actor) if actor is not None else {}
    return source_labels.get(source)(ids)
