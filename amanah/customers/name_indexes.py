"""One trigram GIN per branch over its customers' names (issue 21, docs/benchmarks.md).

A branch-scoped fuzzy name search asks each branch in scope on its own
(``selectors._name_matches``), with the branch id as a constant the planner proves this
partial index's predicate with::

    CREATE INDEX customer_name_trgm_b_<branch id hex> ON customers_customer
        USING gin (lower(name_search) gin_trgm_ops) WHERE home_branch_id = '<branch id>'

``lower(name_search)`` (the column is kept in lower case, so the same rows and scores) is named
by the per-branch parts alone: on the column itself the planner took the whole bank's trigram
GIN for a part whenever a name's trigrams were common (BitmapAnd with the branch's btree, every
part reading the whole bank's posting lists: 10 branches, 'sari', 250 ms against 40 ms).

Why per branch: a trigram GIN's work follows the posting lists of the query's rarest trigrams.
Over one branch's names those lists hold that branch's rows alone; led by the branch over the
whole bank (btree_gin) they span every branch, and the GiST led by the branch that shipped
before reads every index entry of the branches in scope — both grow with the bank.

The index of a branch exists whenever the branch does: ``iam.branch_created`` builds it in the
transaction that creates the branch (``build_for_branch``), so the two commit together (when
PostgreSQL cannot there, the repair job is queued in that transaction instead). A
plain CREATE INDEX, since CONCURRENTLY cannot run in a transaction: the new branch has no
customers, so the build is one pass over the customer table (a fraction of a second at 1M
customers, seconds at 10M) during which writes to customers wait — once per new branch, which a
bank opens a few times a year. The job ``customers.tasks.name_indexes_ensure`` (nightly) and
``manage.py customer_name_indexes [--repair]`` list and repair, CONCURRENTLY, what is missing,
left invalid by an interrupted build, or left over from a branch that no longer exists. Without
its index a branch's search is still right, only planned without it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import psycopg
from django.db import OperationalError, ProgrammingError, connection, transaction

PREFIX = "customer_name_trgm_b_"
TABLE = "customers_customer"


def index_name(branch_id) -> str:
    return PREFIX + uuid.UUID(str(branch_id)).hex


def create_sql(branch_id, *, concurrently: bool) -> str:
    # The id is written into DDL (no parameters there): a UUID parsed here is only hex and
    # dashes. IF NOT EXISTS: a run racing another one (the nightly job, the command) is harmless.
    bid = uuid.UUID(str(branch_id))
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {index_name(bid)} ON {TABLE} "
        f"USING gin (lower(name_search) gin_trgm_ops) WHERE home_branch_id = '{bid}'::uuid"
    )


def build_for_branch(branch_id) -> bool:
    """Build the branch's index in the caller's transaction (a new branch: see above). False
    when PostgreSQL refuses to here: the transaction wrote customers earlier and their deferred
    constraint checks are pending (a seed or an import that opens branches as it goes); the
    caller then queues the repair job, which builds it once the transaction has committed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(create_sql(branch_id, concurrently=False))
    except (OperationalError, ProgrammingError) as exc:
        if not isinstance(exc.__cause__, psycopg.errors.ObjectInUse | _NOT_OWNER):
            raise
        return False
    return True


# An index is the table owner's to build (DESIGN §2): the application role, which the web
# server and the workers log in as where the roles are separate, is refused.
_NOT_OWNER = psycopg.errors.InsufficientPrivilege


def may_build() -> bool:
    """True when this connection may build indexes on the customer table (it is, or is a
    member of, the table's owner): the owner role of ``migrate`` and of
    ``manage.py customer_name_indexes --repair``; not the application role."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
            "WHERE oid = %s::regclass",
            [TABLE],
        )
        return bool(cursor.fetchone()[0])


def drop_sql(name: str, *, concurrently: bool) -> str:
    if not name.startswith(PREFIX) or not name[len(PREFIX) :].isalnum():
        raise ValueError("not a per-branch name index")
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}IF EXISTS {name}"


@dataclass
class Status:
    missing: list[str] = field(default_factory=list)  # branch ids without their index
    # index names left invalid by a failed build, or of another definition (an older one)
    invalid: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # index names of no existing branch
    repaired: bool = True  # False: found only, this role may not build indexes

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.invalid or self.orphaned)


def status() -> Status:
    """What differs between the branches and their name indexes."""
    from amanah.iam.models import Branch

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND c.relname LIKE %s",
            [TABLE, PREFIX.replace("_", r"\_") + "%"],
        )
        present = {name: (valid, definition) for name, valid, definition in cursor.fetchall()}
    wanted = {index_name(pk): str(pk) for pk in Branch.objects.values_list("pk", flat=True)}
    return Status(
        missing=sorted(bid for name, bid in wanted.items() if name not in present),
        invalid=sorted(
            name
            for name, (valid, definition) in present.items()
            if name in wanted and not (valid and _as_built(definition, wanted[name]))
        ),
        orphaned=sorted(name for name in present if name not in wanted),
    )


def _as_built(definition: str, branch_id: str) -> bool:
    """The index PostgreSQL has is the one ``create_sql`` makes (as pg_get_indexdef prints it)."""
    return (
        "USING gin (lower((name_search)::text) gin_trgm_ops)" in definition
        and definition.endswith(f"WHERE (home_branch_id = '{branch_id}'::uuid)")
    )


def ensure(*, concurrently: bool = True) -> Status:
    """Build the missing indexes (an invalid one is dropped and built again), drop orphans;
    returns what it found. ``concurrently`` (the default: no write lock on the customer table)
    needs autocommit — a job or a command, never inside ``transaction.atomic``."""
    if concurrently and connection.in_atomic_block:
        raise RuntimeError("CREATE INDEX CONCURRENTLY cannot run inside a transaction")
    found = status()
    if not may_build():
        # The application role (a worker's nightly run where the roles are separate) only
        # reports: the repair is the owner's, ``manage.py customer_name_indexes --repair``.
        found.repaired = False
        return found
    with connection.cursor() as cursor:
        for name in found.invalid + found.orphaned:
            cursor.execute(drop_sql(name, concurrently=concurrently))
        rebuild = [name[len(PREFIX) :] for name in found.invalid]
        for branch_id in sorted({*found.missing, *(str(uuid.UUID(h)) for h in rebuild)}):
            cursor.execute(create_sql(branch_id, concurrently=concurrently))
    return found
