"""One read per fact for one view of a customer (core.reads): shared inside the block, per
customer and per actor's grants; every call reads outside it."""

from types import SimpleNamespace

from amanah.cases.policies import CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core import reads
from amanah.core.actors import IntegrationActor


def counting_read():
    calls = []

    @reads.once_per_view
    def read(customer, actor):
        calls.append((customer.pk, actor.username))
        return (customer.pk, actor.username)

    return read, calls


def test_a_read_is_answered_once_per_customer_and_grants_inside_one_view():
    read, calls = counting_read()
    one, other = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    cases = IntegrationActor("cases", permissions=[CASE_VIEW], all_branches=True)
    wider = IntegrationActor("wider", permissions=[CASE_VIEW, CASE_VIEW_BRANCH], all_branches=True)
    with reads.one_view():
        assert read(one, cases) == read(one, cases) == (1, cases.username)
        assert read(other, cases) == (2, cases.username)
        assert read(one, wider) == (1, wider.username)  # other grants: read for itself
    assert calls == [(1, cases.username), (2, cases.username), (1, wider.username)]


def test_outside_a_view_and_after_it_every_call_reads():
    read, calls = counting_read()
    customer = SimpleNamespace(pk=1)
    actor = IntegrationActor("cases", permissions=[CASE_VIEW], all_branches=True)
    read(customer, actor)
    with reads.one_view():
        read(customer, actor)
    read(customer, actor)
    assert len(calls) == 3
