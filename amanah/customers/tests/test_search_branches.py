"""Branch-scoped name search asks each branch on its own (issue 21): the same rows, ranked and
cut the same, as one query over all the branches; every branch has its trigram GIN."""

import dataclasses
import itertools
import re

import pytest
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob

from amanah.core import scopes
from amanah.core.actors import RowGrant
from amanah.core.roles import RoleKey as R
from amanah.customers import name_indexes
from amanah.customers.models import Customer
from amanah.customers.names import normalize_name
from amanah.customers.selectors import RESULT_LIMIT, customer_search
from amanah.customers.selectors import search as selectors
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

FIRST = ["Siti", "Muhammad", "Rina", "Budi", "Dewi", "Ahmad", "Nur", "Putri", "Rizky", "Fitri"]
MIDDLE = ["", "Aulia ", "Sari ", "Hidayat "]
MARGA = ["Lubis", "Nasution", "Siregar"]
# "lubis" matches 40 names, about 30 of them in three of the four branches: more than the
# limit, all with the same score, so the cut by full name is exercised across the parts.
QUERIES = ["lubis", "siti lubis", "muhamad nasution", "rina sari siregar", "hidayat", "dewi"]


@pytest.fixture
def four_branches(system, branch_a, branch_b):
    more = [
        iam.branch_save(actor=system, code=code, name=code, timezone_name=TimeZoneChoice.WIB)
        for code in ("TBT01", "SBG01")
    ]
    return [branch_a, branch_b, *more]


@pytest.fixture
def crowd(four_branches, make_customer):
    names = (f"{f} {m}{g}" for g, f, m in itertools.product(MARGA, FIRST, MIDDLE))
    return [
        make_customer(name, branch=branch)
        for name, branch in zip(names, itertools.cycle(four_branches), strict=False)
    ]


@pytest.fixture
def supervisor(make_user, four_branches):
    return make_user(R.SUPERVISOR, branches=four_branches[:3])


@pytest.fixture(autouse=True)
def _many_searches(settings):
    settings.SEARCH_RATE_LIMIT_PER_MINUTE = 1000


@pytest.fixture(autouse=True)
def _no_stray_indexes(db):
    """A test that commits (transactional_db) leaves its branches' indexes behind when its
    rows are flushed; this test's transaction starts without them (and rolls the drop back)."""
    name_indexes.ensure(concurrently=False)


def one_query(branches, key):
    """Today's shape (before issue 21): one query over all the branches in scope."""
    return [
        (c.pk, round(c.score, 3))
        for c in Customer.objects.filter(
            home_branch__in=branches,
            merged_into__isnull=True,
            name_search__trigram_word_similar=key,
        )
        .annotate(score=TrigramWordSimilarity(key, "name_search"))
        .order_by("-score", "full_name")[:RESULT_LIMIT]
    ]


def name_sql(actor, query):
    with CaptureQueriesContext(connection) as queries:
        customer_search(actor=actor, query=query)
    [sql] = [q["sql"] for q in queries.captured_queries if "WORD_SIMILARITY" in q["sql"]]
    return sql


@pytest.mark.parametrize("per_branch_max", [10, 2], ids=["per branch", "whole-bank fallback"])
def test_split_by_branch_finds_what_one_query_finds(
    crowd, supervisor, four_branches, monkeypatch, per_branch_max
):
    monkeypatch.setattr(selectors, "PER_BRANCH_MAX", per_branch_max)
    for query in QUERIES:
        hits = customer_search(actor=supervisor, query=query)
        expected = one_query(four_branches[:3], normalize_name(query))
        assert [(h.customer.pk, h.score) for h in hits] == expected, query
    assert len(customer_search(actor=supervisor, query="lubis")) == RESULT_LIMIT
    split = "UNION ALL" in name_sql(supervisor, "lubis")
    assert split == (per_branch_max >= 3)


def test_each_part_names_its_branch_as_a_constant(crowd, supervisor, four_branches):
    """What lets the planner prove a part's partial index: the id is in the statement's text."""
    sql = name_sql(supervisor, "siti lubis")
    for branch in four_branches[:3]:
        part = rf"\"customers_customer\".\"home_branch_id\" = '{branch.pk.hex}'::uuid"
        assert len(re.findall(part, sql)) == 1, sql
    assert four_branches[3].pk.hex not in sql
    assert sql.count('LOWER("customers_customer"."name_search") %> ') == 3


def test_a_customer_lent_by_a_row_grant_is_found_by_name(
    crowd, supervisor, four_branches, monkeypatch
):
    outside = next(c for c in crowd if c.home_branch_id == four_branches[3].pk)
    found = customer_search(actor=supervisor, query=outside.full_name)
    assert outside.pk not in {h.customer.pk for h in found}
    grants_of = scopes.grants_of

    def with_grant(actor):
        grants = grants_of(actor)
        if actor == supervisor:
            lent = RowGrant("customers.Customer", str(outside.pk))
            grants = dataclasses.replace(grants, row_grants=(lent,))
        return grants

    monkeypatch.setattr(scopes, "grants_of", with_grant)
    hits = customer_search(actor=supervisor, query=outside.full_name)
    assert hits[0].customer.pk == outside.pk and hits[0].match == "EXACT"


def test_every_branch_comes_with_its_partial_index(four_branches):
    assert name_indexes.status().healthy
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            [name_indexes.index_name(four_branches[0].pk)],
        )
        [(definition,)] = cursor.fetchall()
    assert "gin (lower((name_search)::text) gin_trgm_ops)" in definition
    assert f"(home_branch_id = '{four_branches[0].pk}'::uuid)" in definition


def test_the_index_commits_or_rolls_back_with_its_branch(system, branch_a):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        branch = iam.branch_save(
            actor=system, code="KBJ01", name="KC Kabanjahe", timezone_name=TimeZoneChoice.WIB
        )
        assert name_indexes.status().healthy
        raise Undo
    assert name_indexes.status().healthy  # neither the branch nor its index is left
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = %s",
            [name_indexes.index_name(branch.pk)],
        )
        assert cursor.fetchone() == (0,)
    iam.branch_save(
        actor=system,
        code="MDN01",
        name="KCP Medan",
        timezone_name=TimeZoneChoice.WIB,
        branch=branch_a,
    )  # renaming a branch builds nothing
    assert name_indexes.status().healthy


def test_missing_invalid_and_orphaned_indexes_are_listed_then_repaired(four_branches):
    gone = name_indexes.index_name(four_branches[1].pk)
    stray = name_indexes.PREFIX + "0" * 32
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {gone}")
        cursor.execute(
            f"CREATE INDEX {stray} ON customers_customer USING gin (name_search gin_trgm_ops) "
            "WHERE home_branch_id = '00000000-0000-0000-0000-000000000000'::uuid"
        )
        # what an interrupted CREATE INDEX CONCURRENTLY leaves behind
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass",
            [name_indexes.index_name(four_branches[2].pk)],
        )
        # an index of an older definition (on the column, not lower(name_search))
        older = name_indexes.index_name(four_branches[3].pk)
        cursor.execute(f"DROP INDEX {older}")
        cursor.execute(
            f"CREATE INDEX {older} ON customers_customer USING gin (name_search gin_trgm_ops) "
            f"WHERE home_branch_id = '{four_branches[3].pk}'::uuid"
        )
    with pytest.raises(CommandError):
        call_command("customer_name_indexes")
    found = name_indexes.ensure(concurrently=False)
    assert found.missing == [str(four_branches[1].pk)] and found.orphaned == [stray]
    assert found.invalid == sorted(name_indexes.index_name(b.pk) for b in four_branches[2:])
    assert name_indexes.status().healthy
    call_command("customer_name_indexes")  # all well: no error


def test_a_branch_opened_after_customers_in_one_transaction_queues_its_index(
    system, branch_a, make_customer
):
    """Pending deferred checks on the customer table refuse CREATE INDEX there: the branch is
    still created, and the repair job is queued in its transaction."""

    def queued():
        return ProcrastinateJob.objects.filter(
            task_name="amanah.customers.tasks.name_indexes_ensure", status="todo"
        ).count()

    before = queued()
    make_customer("Rina Lubis")  # in this test's transaction: its FK checks are deferred
    branch = iam.branch_save(
        actor=system, code="KBJ01", name="KC Kabanjahe", timezone_name=TimeZoneChoice.WIB
    )
    assert queued() == before + 1
    assert name_indexes.status().missing == [str(branch.pk)]


def test_concurrent_build_is_refused_inside_a_transaction(four_branches):
    with pytest.raises(RuntimeError):
        name_indexes.ensure(concurrently=True)


def test_drop_sql_refuses_another_index():
    with pytest.raises(ValueError):
        name_indexes.drop_sql("customer_name_trgm; DROP TABLE x", concurrently=False)
