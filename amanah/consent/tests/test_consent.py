from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.consent.contract import contactability, contactable
from amanah.consent.models import ConsentRecord, ConsentState
from amanah.consent.services import consent_change, consent_states, with_marketing_consent
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}


def is_marketing_eligible(customer) -> bool:
    return contactability(customer, "OFFER", "WHATSAPP").allowed


def marketing_eligible(customers):
    return contactable(customers, "OFFER", "WHATSAPP")


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system, data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a)
    )


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


def test_no_record_means_not_eligible_opt_in(customer):
    assert consent_states(customer)["MARKETING"] == ""
    assert not is_marketing_eligible(customer)


def test_change_is_recorded_with_history_and_audited(customer, agent):
    consent_change(
        actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    assert is_marketing_eligible(customer)
    record = consent_change(
        actor=agent,
        customer=customer,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="CALL_CENTER",
        verification_method="PHONE_OTP",
        reason="tidak mau promo",
    )
    assert (record.old_status, record.new_status, record.captured_by) == (
        "GRANTED",
        "WITHDRAWN",
        agent,
    )
    assert not is_marketing_eligible(customer)  # immediately ineligible
    assert list(marketing_eligible(Customer.objects.all())) == []
    event = AuditLog.objects.filter(action="CHANGE_CONSENT").last()
    assert event.meta["old"] == "GRANTED" and event.meta["new"] == "WITHDRAWN"
    assert event.meta["verification"] == "PHONE_OTP" and event.actor_role == "AGENT"


def test_the_column_form_of_the_rule_agrees_with_the_filter(db, system, branch_a, agent):
    """with_marketing_consent (one row per customer, for stored verdicts) and the
    contactable filter are one rule: granted, withdrawn, no record, and a
    consent of another type must not count."""
    made = {}
    for name, changes in {
        "granted": [("MARKETING", "GRANTED")],
        "withdrawn": [("MARKETING", "GRANTED"), ("MARKETING", "WITHDRAWN")],
        "none": [],
        "other type": [("PROFILING", "GRANTED")],
    }.items():
        made[name] = customer_create(
            actor=system, data=CustomerInput(full_name=f"Nasabah {name}", home_branch=branch_a)
        )
        for consent_type, status in changes:
            consent_change(
                actor=agent,
                customer=made[name],
                consent_type=consent_type,
                new_status=status,
                **GOOD,
            )
    column = dict(
        with_marketing_consent(Customer.objects.all(), "ok").values_list("full_name", "ok")
    )
    assert column == {c.full_name: name == "granted" for name, c in made.items()}
    assert set(marketing_eligible(Customer.objects.all())) == {made["granted"]}


def test_verification_method_is_required(customer, agent):
    with pytest.raises(ServiceError) as refused:
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="",
        )
    assert refused.value.code == "verification_required"
    assert not ConsentRecord.objects.exists()


def test_marketing_may_never_change_consent_even_if_granted_in_the_matrix(
    customer, make_user, branch_a
):
    from amanah.iam.models import RolePermission

    RolePermission.objects.create(role_id="MARKETING", permission="consent.change")
    marketing = make_user(R.MARKETING, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        consent_change(
            actor=marketing,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            **GOOD,
        )
    assert not ConsentRecord.objects.exists()


def test_rm_and_out_of_scope_agents_cannot_change(customer, make_user, branch_b):
    with pytest.raises(PermissionDenied):
        consent_change(
            actor=make_user(R.RM),
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            **GOOD,
        )
    with pytest.raises(NotFound):
        consent_change(
            actor=make_user(R.AGENT, branches=[branch_b]),
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            **GOOD,
        )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"consent_type": "SPAM"}, "consent_type_invalid"),
        ({"new_status": "MAYBE"}, "status_invalid"),
        ({"channel": "PIGEON"}, "channel_invalid"),
        ({"effective_at": timezone.now() + timedelta(days=1)}, "effective_future"),
        ({"effective_at": timezone.now() - timedelta(days=60)}, "effective_too_old"),
    ],
)
def test_bad_input_is_refused(customer, agent, kwargs, code):
    data = {"consent_type": "MARKETING", "new_status": "GRANTED", **GOOD, **kwargs}
    with pytest.raises(ServiceError) as refused:
        consent_change(actor=agent, customer=customer, **data)
    assert refused.value.code == code


def test_same_status_twice_is_not_a_change(customer, agent):
    consent_change(
        actor=agent, customer=customer, consent_type="PROFILING", new_status="GRANTED", **GOOD
    )
    with pytest.raises(ServiceError):
        consent_change(
            actor=agent, customer=customer, consent_type="PROFILING", new_status="GRANTED", **GOOD
        )


def test_active_state_is_the_latest_effective_record_even_when_backdated(customer, agent):
    consent_change(
        actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    # A paper withdrawal signed three days ago arrives today: it is older than the grant.
    consent_change(
        actor=agent,
        customer=customer,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        effective_at=timezone.now() - timedelta(days=3),
        **GOOD,
    )
    state = ConsentState.objects.get(customer=customer, consent_type="MARKETING")
    latest = ConsentRecord.objects.filter(customer=customer).order_by("-effective_at").first()
    assert state.status == latest.new_status == "GRANTED"


def test_agent_changes_consent_in_the_360_page(signed_in, customer, branch_a):
    client, _ = signed_in(R.AGENT, branches=[branch_a])
    response = client.post(
        f"/customers/{customer.pk}/consent/",
        {
            "consent_type": "MARKETING",
            "new_status": "GRANTED",
            "channel": "BRANCH",
            "verification_method": "IN_PERSON",
        },
    )
    assert response.status_code == 303
    assert consent_states(customer)["MARKETING"] == "GRANTED"
    missing = client.post(
        f"/customers/{customer.pk}/consent/",
        {
            "consent_type": "MARKETING",
            "new_status": "WITHDRAWN",
            "channel": "BRANCH",
            "verification_method": "",
        },
    )
    assert missing.status_code == 303 and consent_states(customer)["MARKETING"] == "GRANTED"
