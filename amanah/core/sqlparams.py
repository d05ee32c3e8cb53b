"""A long list of ids as one SQL parameter.

Django's psycopg connection binds parameters on the client (``ClientCursor``): a Python list
becomes an array literal value by value, each one dumped and tested for quoting in Python —
8,000 uuids cost a third of a second, more than the statement that reads them (the journey
engine passed a few hundred thousand a tick). Ids (uuids, integers) never hold a comma, so a
list of them travels as one text parameter, comma-joined, and the statement splits it:

    cursor.execute(f"... = ANY({UUIDS}) ...", [id_text(ids)])
    Customer.objects.filter(pk__in=uuid_rows(id_text(ids)))

A value that is not an id still fails the cast in the database, as with an array.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.expressions import RawSQL

# The parameter split back into an array, for a statement's text.
UUIDS = "string_to_array(%s, ',')::uuid[]"
BIGINTS = "string_to_array(%s, ',')::bigint[]"


def id_text(ids: Iterable) -> str:
    """``ids`` (uuids or integers, or their text) comma-joined; refused (ValueError) if one
    of them holds a comma itself — it would split into two."""
    values = [str(value) for value in ids]
    text = ",".join(values)
    if values and text.count(",") != len(values) - 1:
        raise ValueError("id_text: an id holds a comma")
    return text


def uuid_rows(text: str) -> RawSQL:
    """``id_text`` of uuids as a subquery for a filter (``user_id__in=uuid_rows(text)``): one
    parameter whatever the number of ids, so a prepared read (``core.prepared``, the text its
    parameter) keeps one statement for every list."""
    return RawSQL(f"SELECT unnest({UUIDS})", (text,))  # noqa: S611 (a constant)


def bound_cursor():
    """A cursor on Django's connection (its transaction) that sends the parameters apart from
    the statement (server-side binding) — ``execute(sql, params, prepare=True)`` also has the
    server plan a statement once per connection instead of at every call. For a hot statement
    (a gateway callback's INSERT, 500 a second) or parameters too large to quote in Python."""
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
