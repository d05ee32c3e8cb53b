"""A segment with every filter on "Semua" (no rule at all) matches everyone, also in SQL."""

from django.db.models import BooleanField, Case, Value, When

from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing.rules import compile_rules


def test_an_empty_rule_set_matches_every_customer_inside_a_when(system, branch_a):
    customer_create(actor=system, data=CustomerInput(full_name="Rina Lubis", home_branch=branch_a))
    flags = Customer.objects.annotate(
        in_segment=Case(
            When(compile_rules({"all": []}), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).values_list("in_segment", flat=True)
    assert list(flags) == [True]
