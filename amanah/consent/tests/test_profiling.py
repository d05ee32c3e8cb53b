"""PROFILING consent, the published rule (UU PDP Pasal 10): a customer whose PROFILING consent
is WITHDRAWN objected and is not profiled; its per-customer form, its ORM set form and its SQL
fragment agree on every kind of history."""

from __future__ import annotations

import pytest
from django.db import connection

from amanah.consent.contract import (
    PROFILING_OBJECTED,
    objects_to_profiling,
    objects_to_profiling_sql,
    profiled,
    profiling,
)
from amanah.consent.services import consent_change
from amanah.consent.testing import object_to_profiling
from amanah.core import reads
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create


@pytest.fixture
def people(system, branch_a):
    """One customer per kind of history, by name."""

    def make(name):
        return customer_create(
            actor=system, data=CustomerInput(full_name=f"{name} Siregar", home_branch=branch_a)
        )

    never = make("Tanpa")
    granted = object_to_profiling(system, make("Setuju"), status="GRANTED")
    objected = object_to_profiling(system, make("Menolak"))
    lifted = object_to_profiling(
        system, object_to_profiling(system, make("Berubah")), status="GRANTED"
    )
    again = object_to_profiling(
        system,
        object_to_profiling(system, object_to_profiling(system, make("Lagi")), status="GRANTED"),
    )
    # A PROFILING record of one contact channel is not an objection to profiling.
    on_one_channel = make("Kanal")
    consent_change(
        actor=system,
        customer=on_one_channel,
        consent_type="PROFILING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
        contact_channel="EMAIL",
    )
    # Other consent types withdrawn say nothing about profiling either.
    marketing_only = make("Pemasaran")
    consent_change(
        actor=system,
        customer=marketing_only,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    return {
        "never": never,
        "granted": granted,
        "objected": objected,
        "lifted": lifted,
        "again": again,
        "on_one_channel": on_one_channel,
        "marketing_only": marketing_only,
    }


def test_only_a_current_objection_stops_profiling(people):
    verdicts = {name: profiling(c) for name, c in people.items()}
    assert {name for name, v in verdicts.items() if not v.allowed} == {"objected", "again"}
    objected = verdicts["objected"]
    assert objected.reason == PROFILING_OBJECTED
    assert objected.label == "Tidak diprofilkan: nasabah menolak profiling (UU PDP Pasal 10)"
    assert objected.objected_at is not None
    assert verdicts["never"].reason == "" and verdicts["never"].label == ""


def test_the_set_forms_and_the_sql_agree_with_the_one_customer_form(people):
    ids = [c.pk for c in people.values()]
    one_by_one = {c.pk for c in people.values() if not profiling(c).allowed}
    customers = Customer.objects.filter(pk__in=ids)
    annotated = dict(
        customers.annotate(_objected=objects_to_profiling()).values_list("pk", "_objected")
    )
    assert {pk for pk, objected in annotated.items() if objected} == one_by_one
    assert set(profiled(customers).values_list("pk", flat=True)) == set(ids) - one_by_one
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM customers_customer c WHERE c.id = ANY(%s::uuid[]) AND "
            + objects_to_profiling_sql("c.id"),
            [[str(pk) for pk in ids]],
        )
        assert {row[0] for row in cursor.fetchall()} == one_by_one


def test_the_set_form_follows_a_customer_field_of_other_rows(people):
    """On rows that point at a customer (a consent record here; a score, a lead elsewhere)."""
    from amanah.consent.models import ConsentRecord

    records = ConsentRecord.objects.filter(customer__in=list(people.values()))
    kept = set(profiled(records, "customer_id").values_list("customer_id", flat=True))
    assert people["objected"].pk not in kept and people["again"].pk not in kept
    assert people["lifted"].pk in kept and people["on_one_channel"].pk in kept


def test_an_objection_takes_effect_at_once_and_a_view_asks_once(
    system, people, django_assert_num_queries
):
    customer = people["never"]
    with reads.one_view(), django_assert_num_queries(1):
        assert profiling(customer).allowed
        assert profiling(customer).allowed
    object_to_profiling(system, customer)
    assert not profiling(customer).allowed


def test_the_sql_fragment_takes_a_column_never_text():
    for bad in ("c.id; DROP TABLE x", "1=1 OR c.id", "", "C.ID"):
        with pytest.raises(ValueError):
            objects_to_profiling_sql(bad)
