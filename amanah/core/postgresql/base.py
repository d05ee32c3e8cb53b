"""Django's PostgreSQL backend with the statements a connection prepared kept through a
rollback.

psycopg forgets every prepared statement of a connection at a rollback, and at any statement
whose status reads ``ROLLBACK`` (a savepoint's too), and sends ``DEALLOCATE ALL``: a statement
prepared inside a pipeline whose transaction failed may not exist on the server. Django runs
no pipeline, and without one a failed PREPARE raises before psycopg counts the statement as
prepared; a statement the server did prepare outlives the transaction (prepared statements
belong to the session, not to a transaction). Under the 50-user load a refused change (a
consent already in that status, a case another supervisor just closed) rolled back every few
seconds on each connection, so most statements ran unprepared, parsed and planned again,
counting up to psycopg's threshold anew (docs/benchmarks.md, stop 41). Here the rollbacks run
with a blank bookkeeping swapped in, so the connection's own is neither cleared nor sent.

``prepared_max``: a connection keeps up to this many prepared statements (psycopg's default,
100, is fewer than the load's mix runs on one connection: the oldest were deallocated and
prepared again in turn).

And psycopg turns each statement's ``%s`` into ``$1``, ``$2`` … in Python, a regular-expression
pass over the text, keeping the result for the 128 most recent statements of up to 4 kB. The
load's mix runs some 150 statements in one process (the 360 page's customer row is 5.6 kB), so
under the load most were converted again on every run (1.6 % of the web processes' CPU).
Here the 1,024 most recent of up to 16 kB are kept (about 1 kB each, a few MB in all);
statements with more than 50 parameters (a bulk insert's) stay unkept, as psycopg has them.
"""

from __future__ import annotations

import contextlib
import functools

from django.db.backends.postgresql import base
from psycopg import _queries
from psycopg._preparing import PrepareManager

PREPARED_MAX = 500
CONVERTED_MAX = 1024
CONVERTED_LENGTH_MAX = 16 * 1024

# psycopg reads both names at each conversion (``PostgresQuery.convert``).
_queries._query2pg = functools.lru_cache(maxsize=CONVERTED_MAX)(_queries._query2pg_nocache)
_queries.MAX_CACHED_STATEMENT_LENGTH = CONVERTED_LENGTH_MAX


@contextlib.contextmanager
def _prepared_statements_kept(connection):
    """Run the block with an empty prepared-statement bookkeeping on ``connection``: what it
    clears is the empty one; the connection's own comes back untouched."""
    if connection is None or connection._pipeline is not None:
        yield  # no connection yet, or a pipeline: psycopg's caution stands
        return
    kept = connection._prepared
    blank = PrepareManager()
    blank.prepare_threshold = None  # the rollback statement itself is never prepared
    connection._prepared = blank
    try:
        yield
    finally:
        connection._prepared = kept


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.prepared_max = PREPARED_MAX
        return connection

    def _rollback(self):
        with _prepared_statements_kept(self.connection):
            super()._rollback()

    def _savepoint_rollback(self, sid):
        with _prepared_statements_kept(self.connection):
            super()._savepoint_rollback(sid)
