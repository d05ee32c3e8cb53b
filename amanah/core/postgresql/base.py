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

The health check (``CONN_HEALTH_CHECKS``) asks the server ``SELECT 1`` before a request's first
statement, a round trip on every request. When the server ends a connection (a restart, an
administrator's ``pg_terminate_backend``) it says so and closes the socket, so an idle
connection that has something to read is the one worth asking; one with nothing waiting, idle
and not broken, is taken as it is (``close_if_health_check_failed``). A server that vanished
without a word (a cut cable) is noticed by the request's first statement either way: ``SELECT
1`` too would have waited for the network's timeout.

And psycopg turns each statement's ``%s`` into ``$1``, ``$2`` … in Python, a regular-expression
pass over the text, keeping the result for the 128 most recent statements of up to 4 kB. The
load's mix runs some 150 statements in one process (the 360 page's customer row is 5.6 kB), so
under the load most were converted again on every run (1.6 % of the web processes' CPU).
Here the 1,024 most recent of up to 16 kB and 250 parameters are kept (about 1 kB each, a few
MB in all): psycopg's own limit of 50 parameters left the 360 page's customer row (111
parameters of its scope and annotations) converted anew on every page, some 0.2 ms of regular
expressions each time. A bulk insert's hundreds of parameters stay unkept, as psycopg has them.
"""

from __future__ import annotations

import contextlib
import functools
import select

from django.db.backends.postgresql import base
from psycopg import _queries
from psycopg._preparing import PrepareManager
from psycopg.pq import ConnStatus, TransactionStatus

PREPARED_MAX = 500
CONVERTED_MAX = 1024
CONVERTED_LENGTH_MAX = 16 * 1024
CONVERTED_PARAMS_MAX = 250

# psycopg reads both names at each conversion (``PostgresQuery.convert``).
_queries._query2pg = functools.lru_cache(maxsize=CONVERTED_MAX)(_queries._query2pg_nocache)
_queries.MAX_CACHED_STATEMENT_LENGTH = CONVERTED_LENGTH_MAX
_queries.MAX_CACHED_STATEMENT_PARAMS = CONVERTED_PARAMS_MAX


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


def _quiet(connection) -> bool:
    """Idle, open, and nothing from the server waiting to be read (no goodbye, no close)."""
    pgconn = connection.pgconn
    if connection.broken or pgconn.status != ConnStatus.OK:
        return False
    if pgconn.transaction_status != TransactionStatus.IDLE:
        return False
    waiting = select.poll()  # poll, not select: any descriptor number
    waiting.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return not waiting.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

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
