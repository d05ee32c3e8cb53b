"""The published sensitive-case rules: the per-customer and set-based forms agree, and who may
read a sensitive case's details."""

from __future__ import annotations

from amanah.cases import services as cases
from amanah.cases.contract import (
    has_open_sensitive_case,
    may_see_sensitive,
    open_sensitive_case_exists,
)
from amanah.core.actors import IntegrationActor
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create

ANSWER = "Dana sudah dikembalikan ke rekening nasabah; mohon maaf atas kendalanya."


def _case(actor, customer, category):
    return cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code=category,
            priority="MEDIUM",
            description="Ada transaksi yang tidak dikenal di rekening nasabah.",
        ),
    )


def test_the_per_customer_and_set_based_forms_agree(system, branch_a, agent, supervisor):
    made = {
        name: customer_create(
            actor=system, data=CustomerInput(full_name=f"Nasabah {name}", home_branch=branch_a)
        )
        for name in ("none", "open_fraud", "closed_fraud", "open_plain", "resolved_fraud")
    }
    _case(agent, made["open_fraud"], "FRAUD_SCAM")
    _case(agent, made["open_plain"], "TRX_FAIL")
    closed = _case(agent, made["closed_fraud"], "FRAUD_SCAM")
    cases.case_final_response(actor=supervisor, case=closed, text=ANSWER, resolution_code="REFUND")
    cases.case_close(actor=supervisor, case=closed, resolution_code="REFUND")
    resolved = _case(agent, made["resolved_fraud"], "FRAUD_SCAM")
    cases.case_final_response(
        actor=supervisor, case=resolved, text=ANSWER, resolution_code="REFUND"
    )

    per_customer = {name: has_open_sensitive_case(c.pk) for name, c in made.items()}
    set_based = dict(
        Customer.objects.filter(pk__in=[c.pk for c in made.values()])
        .annotate(sensitive=open_sensitive_case_exists())
        .values_list("pk", "sensitive")
    )
    assert per_customer == {name: set_based[c.pk] for name, c in made.items()}
    # RESOLVED is no longer open: the customer has the bank's final answer
    assert per_customer == {
        "none": False,
        "open_fraud": True,
        "closed_fraud": False,
        "open_plain": False,
        "resolved_fraud": False,
    }
    excluded = Customer.objects.filter(pk__in=[c.pk for c in made.values()]).exclude(
        open_sensitive_case_exists()
    )
    assert set(excluded.values_list("pk", flat=True)) == {
        made[name].pk for name, value in per_customer.items() if not value
    }


def test_sensitive_details_for_handlers_and_permitted_roles_only(
    customer, agent, supervisor, make_user, branch_a
):
    fraud, plain = _case(agent, customer, "FRAUD_SCAM"), _case(agent, customer, "TRX_FAIL")
    other_agent = make_user(R.AGENT, branches=[branch_a])
    assert may_see_sensitive(agent, fraud)  # created it
    assert may_see_sensitive(supervisor, fraud)  # role holds timeline.sensitive
    assert not may_see_sensitive(other_agent, fraud)
    assert may_see_sensitive(other_agent, plain)
    cases.case_assign(actor=supervisor, case=fraud, assignee=other_agent)
    fraud.refresh_from_db()
    assert may_see_sensitive(other_agent, fraud)  # handles it now
    fraud.created_by, fraud.assigned_to = None, None  # opened by the intake, not yet taken
    system = IntegrationActor("webhook-receiver", permissions=("case.view",), all_branches=True)
    assert not may_see_sensitive(system, fraud)  # pk None handles nothing
