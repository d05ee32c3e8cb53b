"""Reads compiled once per shape and run again with new values.

The ORM builds and compiles every queryset to SQL anew each time it runs. On a Customer 360
page that was about a third of the Python: some twenty reads of one customer, the same
statements each time, with only the customer, the time window and the actor's grants changing.
A read declared with :func:`prepared` is built and compiled once per *shape* and afterwards runs
the kept SQL with the new values; the ORM still turns the rows into model instances (or values)
as usual, ``select_related`` and ``only`` included.

The shape is everything the statement's text can depend on: the read, the actor's grants
(``visible_to`` builds its filter from them alone, see ``core.scopes``) but for who the actor
is, which parameters are None, the other (non-parameter) arguments such as a limit, the
database the router picks for the call (a read-only block reads the replica) and the local
date. The actor's own id (an "own rows" filter, a "my cases" queue) is a value like the
declared parameters: members of staff with the same role and branches share one statement.
Keyed by the whole grants, every worker process compiled each read again for every member of
staff it served, and under the 50-user load the first two minutes went to that (a seventh of
the web processes' CPU still compiling after 80 s, docs/benchmarks.md).

How each call's values find their place: at first use the builder is called with stand-ins (a
UUID, a datetime, a date, a number or a text no real row has, or an instance of the model whose
fields other than its key cannot be read) and, for a member of staff, with a stand-in actor
holding the same grants under another id, the compiled parameters are searched for them, and
every later call puts its own values at those positions. So a builder may depend on nothing but
the grants, the None-ness of its parameters, its other arguments and constants; of its actor it
may read the grants (through ``visible_to``, ``authz.branch_scope``, ``scopes``) and the id
(``actor.pk``) alone. It is built twice with different stand-ins and refused
(``ImproperlyConfigured``) when the two statements differ anywhere else — a ``timezone.now()``
inside the builder, a parameter the ORM transformed (``icontains`` wrapping a text in ``%``),
the actor's id turned into a text — or when a stand-in is missing from the statement.

This leans on the compiler's internals (``SQLCompiler.as_sql`` filling ``select`` and
``klass_info`` for the iterables): ``core/tests/test_prepared.py`` checks the answers against the
plain ORM's, so a Django upgrade that changes them fails there first.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured, ObjectDoesNotExist
from django.db import connections, models, router
from django.utils import timezone

from amanah.core import scopes
from amanah.core.actors import Grants, IntegrationActor

_KEPT: dict[tuple, _Statement] = {}
_KEPT_MAX = 8192  # some 50 reads per member of staff at work at once, 160 of them
_KEEPING = threading.Lock()  # evicting iterates the dict: one writer at a time
_NONE = object()  # a parameter given as None: part of the shape, not a value
_ACTOR = object()  # the slot name of the actor's own id
_SOMEONE = object()  # the user id in a shape's grants: any member of staff


@dataclass(frozen=True)
class _Statement:
    queryset: models.QuerySet | None  # built with stand-ins; None: the statement selects nothing
    compiler: object = None  # its compiler after ``as_sql``: select, klass_info, col_count set
    sql: str = ""
    params: tuple = ()
    slots: tuple[tuple[int, object], ...] = ()  # (position in params, parameter name or _ACTOR)
    # The row converters of its selected columns (``SQLCompiler.get_converters``), worked out
    # once: they depend on the columns' fields and the backend, not on a call's values.
    converters: dict | None = None


def prepared(model: type[models.Model], *, params: tuple[str, ...]):
    """Declare ``build(actor, **arguments) -> QuerySet`` a read kept compiled per shape.

    The decorated function is called as ``read(actor, **arguments)`` and returns the rows as a
    list; ``read.first(actor, **arguments)`` answers the first row or None. ``params`` name the
    arguments whose values change from call to call (a model instance, UUID, datetime, date,
    int or str, or None); every other argument is part of the shape and must be hashable (a
    limit, a flag)."""

    def decorate(build: Callable[..., models.QuerySet]):
        @functools.wraps(build)
        def read(actor, **arguments) -> list:
            alias = router.db_for_read(model)
            shape = tuple(
                (name, _NONE if value is None else type(value)) if name in params else (name, value)
                for name, value in sorted(arguments.items())
            )
            grants = scopes.grants_of(actor)
            key = (build, alias, _anyone_with(grants), timezone.localdate(), shape)
            statement = _KEPT.get(key)
            if statement is None:
                statement = _compile(build, actor, grants, arguments, params, alias)
                _keep(key, statement)
            return _run(statement, arguments, alias, grants.user_id)

        def first(actor, **arguments):
            rows = read(actor, **arguments)
            return rows[0] if rows else None

        read.build, read.first = build, first
        return read

    return decorate


def _anyone_with(grants: Grants) -> Grants:
    """The grants as part of a shape: whose they are is a value, not the shape."""
    if grants.user_id is None:
        return grants
    return dataclasses.replace(grants, user_id=_SOMEONE)


class _StandInActor(IntegrationActor):
    """A member of staff's grants under a stand-in id, for building a statement: an actor
    that carries its grants, as integrations do, so every scope and permission check reads
    them (and only them, as a builder may read nothing else of its actor)."""

    def __init__(self, grants: Grants):  # no permission check: the grants are a real actor's
        self.name = "prepared-stand-in"
        self.username = self.full_name = f"integration:{self.name}"
        self.grants = grants
        self.pk = self.id = grants.user_id


def _keep(key: tuple, statement: _Statement) -> None:
    with _KEEPING:  # the oldest goes at the cap (not all: no storm of compiling again)
        if len(_KEPT) >= _KEPT_MAX:
            del _KEPT[next(iter(_KEPT))]
        _KEPT[key] = statement


def clear() -> None:
    """Forget every kept statement (tests that change what a builder reads)."""
    _KEPT.clear()


def _compile(build, actor, grants, arguments: dict, params: tuple, alias: str) -> _Statement:
    first, second = (_built(build, actor, grants, arguments, params, alias, n) for n in (0, 1))
    if first is None or second is None:
        if (first is None) != (second is None):
            raise ImproperlyConfigured(f"{build.__qualname__}: its shape depends on a value")
        return _Statement(queryset=None)
    (queryset, compiler, sql, values, slots), (_q, _c, sql2, values2, slots2) = first, second
    slot_positions = {position for position, _name in slots}
    same_elsewhere = len(values) == len(values2) and all(
        values[i] == values2[i] for i in range(len(values)) if i not in slot_positions
    )
    if sql != sql2 or slots != slots2 or not same_elsewhere:
        raise ImproperlyConfigured(
            f"{build.__qualname__}: the statement changes with something that is not a "
            "declared parameter (a clock, a read, a transformed value)"
        )
    converters = compiler.get_converters([s[0] for s in compiler.select[0 : compiler.col_count]])
    return _Statement(queryset, compiler, sql, tuple(values), slots, converters)


def _built(build, actor, grants, arguments, params, alias, n):
    stand_ins = {
        name: _stand_in(value, n, i)
        for i, (name, value) in enumerate(sorted(arguments.items()))
        if name in params and value is not None
    }
    wanted = {name: _db_value(stand_in) for name, stand_in in stand_ins.items()}
    if grants.user_id is not None:
        someone = _stand_in(grants.user_id, n, len(arguments))
        actor = _StandInActor(dataclasses.replace(grants, user_id=someone))
        wanted[_ACTOR] = someone
    try:
        queryset = build(actor, **{**arguments, **stand_ins}).using(alias)
    except ObjectDoesNotExist as error:  # a stand-in's field read: a value, not the shape
        raise ImproperlyConfigured(
            f"{build.__qualname__}: reads a parameter's field other than its key"
        ) from error
    compiler = queryset.query.get_compiler(using=alias)
    try:
        sql, values = compiler.as_sql()
    except EmptyResultSet:
        return None
    slots = tuple(
        (position, name)
        for position, value in enumerate(values)
        for name, stand_in in wanted.items()
        if type(value) is type(stand_in) and value == stand_in
    )
    missing = set(stand_ins) - {name for _position, name in slots}  # the actor's id: if read
    if missing:
        raise ImproperlyConfigured(
            f"{build.__qualname__}: {sorted(missing)} not found as such in the statement"
        )
    return queryset, compiler, sql, list(values), slots


def _stand_in(value, n: int, i: int):
    """A value of ``value``'s kind that no real row holds, different for each build ``n``."""
    if isinstance(value, models.Model):
        # Of the key's own kind: ``Customer(pk=text)`` names a customer too.
        pk = _stand_in(_key_of(value), n, i)
        # Only the key is loaded: reading any other field goes to the database for a row that
        # does not exist and fails the build, rather than baking a field's value in.
        return type(value).from_db(None, [type(value)._meta.pk.attname], [pk])
    if isinstance(value, uuid.UUID):
        return uuid.UUID(f"5e471ee1-0000-4000-8000-{n:06x}{i:06x}")
    if isinstance(value, datetime):
        return datetime(1900, 1, 2 + n, 3, 4, 5, 600_000 + i, tzinfo=UTC)
    if isinstance(value, date):
        return date(1900, 3 + n, 1 + i)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(7_000_000_000 + 1_000 * n + i)
    if isinstance(value, str):
        return f"\u27e6stand-in {n} {i}\u27e7"
    raise ImproperlyConfigured(f"a prepared read cannot take a {type(value).__name__} parameter")


def _db_value(value):
    return _key_of(value) if isinstance(value, models.Model) else value


def _key_of(instance: models.Model):
    return instance._meta.pk.to_python(instance.pk)


def _run(statement: _Statement, arguments: dict, alias: str, user_id) -> list:
    if statement.queryset is None:
        return []
    values = list(statement.params)
    for position, name in statement.slots:
        values[position] = user_id if name is _ACTOR else _db_value(arguments[name])
    # A copy of the kept compiler that answers with the kept text and this call's values, on
    # this thread's connection; the kept queryset and query are shared and never touched.
    compiler = _shallow_copy(statement.compiler)
    compiler.connection = connections[alias]
    compiler.as_sql = lambda *_args, **_kwargs: (statement.sql, tuple(values))
    compiler.get_converters = lambda _expressions: statement.converters
    query = _shallow_copy(statement.queryset.query)
    query.get_compiler = lambda *_args, **_kwargs: compiler
    queryset = _shallow_copy(statement.queryset)
    queryset._query = query  # not the setter: it would change a values_list's iterable
    return list(queryset)


def _shallow_copy(obj):
    """The object's attributes in a new object of its class, nothing run: ``copy.copy`` of a
    queryset would evaluate it (its pickling state is its rows)."""
    duplicate = object.__new__(type(obj))
    duplicate.__dict__ = obj.__dict__.copy()
    return duplicate
