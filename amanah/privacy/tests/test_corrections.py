"""Correction requests: recorded by front office → reviewed by a second person → applied
through the customer update service (workflow moves, audited); bad values refused clearly."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.privacy import services
from amanah.privacy.models import CorrectionRequest, CorrectionStatus
from amanah.workflow.models import TransitionHistory

REASON = "KTP asli diperiksa di kantor cabang."


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Budi Santoso", home_branch=branch_a, phone="081311112222", cif="CIF5001"
        ),
    )


@pytest.fixture
def people(make_user, branch_a):
    return (
        make_user(R.AGENT, branches=[branch_a]),
        make_user(R.SUPERVISOR, branches=[branch_a], full_name="Sari Supervisor"),
        make_user(R.SUPERVISOR, branches=[branch_a]),
    )


def test_request_review_apply_through_the_customer_service(customer, people):
    agent, reviewer, _other = people
    correction = services.correction_request(
        actor=agent,
        customer=customer,
        field="full_name",
        new_value="  Budi   Santosa ",
        reason=REASON,
    )
    assert (correction.old_value, correction.new_value) == ("Budi Santoso", "Budi Santosa")
    customer.refresh_from_db()
    assert customer.full_name == "Budi Santoso"  # nothing changes before the review

    services.correction_apply(actor=reviewer, correction=correction, note="sesuai KTP")
    correction.refresh_from_db()
    customer.refresh_from_db()
    assert customer.full_name == "Budi Santosa"
    assert correction.status == CorrectionStatus.APPLIED and correction.decided_by == reviewer
    actions = list(
        AuditLog.objects.filter(
            action__in=["REQUEST_CORRECTION", "UPDATE_CUSTOMER", "APPLY_CORRECTION"]
        )
        .order_by("id")
        .values_list("action", "actor_username")
    )
    assert actions == [
        ("REQUEST_CORRECTION", agent.username),
        ("UPDATE_CUSTOMER", reviewer.username),
        ("APPLY_CORRECTION", reviewer.username),
    ]
    update = AuditLog.objects.get(action="UPDATE_CUSTOMER")
    assert update.meta["changed"] == ["full_name"]
    line = TransitionHistory.objects.get(object_id=str(correction.pk))
    assert (line.from_status, line.to_status) == ("REQUESTED", "APPLIED")
    assert "Budi" not in str(AuditLog.objects.filter(action__endswith="CORRECTION").values("meta"))


def test_the_requester_never_reviews_their_own_request(customer, people):
    _agent, reviewer, _other = people
    correction = services.correction_request(
        actor=reviewer,
        customer=customer,
        field="phone_e164",
        new_value="0813 9999 0000",
        reason=REASON,
    )
    assert correction.new_value == "+6281399990000"
    with pytest.raises(ServiceError) as refused:
        services.correction_apply(actor=reviewer, correction=correction)
    assert refused.value.code == "guard_failed"
    correction.refresh_from_db()
    customer.refresh_from_db()
    assert correction.status == CorrectionStatus.REQUESTED
    assert customer.phone_e164 == "+6281311112222"


def test_a_rejection_needs_a_note_and_changes_nothing(customer, people):
    agent, reviewer, _other = people
    correction = services.correction_request(
        actor=agent, customer=customer, field="birth_date", new_value="17-04-1985", reason=REASON
    )
    assert correction.new_value == "1985-04-17"
    with pytest.raises(ServiceError) as refused:
        services.correction_reject(actor=reviewer, correction=correction, note="")
    assert refused.value.code == "field_required"
    services.correction_reject(actor=reviewer, correction=correction, note="KTP tidak cocok")
    correction.refresh_from_db()
    customer.refresh_from_db()
    assert correction.status == CorrectionStatus.REJECTED
    assert correction.decision_note == "KTP tidak cocok" and customer.birth_date is None


def test_a_value_changed_since_the_request_is_not_overwritten(customer, people, system):
    agent, reviewer, _other = people
    correction = services.correction_request(
        actor=agent, customer=customer, field="email", new_value="budi@contoh.co.id", reason=REASON
    )
    from amanah.customers.services import customer_update

    customer_update(
        actor=system,
        customer=customer,
        data=CustomerInput(
            full_name="Budi Santoso",
            home_branch=customer.home_branch,
            email="lain@contoh.co.id",
            phone="081311112222",
        ),
    )
    with pytest.raises(ServiceError) as refused:
        services.correction_apply(actor=reviewer, correction=correction)
    assert refused.value.code == "changed_since"
    customer.refresh_from_db()
    assert customer.email == "lain@contoh.co.id"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("full_name", "B", "name_required"),
        ("birth_date", "2999-01-01", "date_invalid"),
        ("birth_date", "kemarin", "date_invalid"),
        ("gender", "X", "gender_invalid"),
        ("phone_e164", "12", None),
        ("email", "bukan-email", None),
        ("status", "CLOSED", "field_invalid"),
        ("full_name", "nul\x00", "text_invalid"),
        ("full_name", "Budi Santoso", "no_change"),
    ],
)
def test_bad_values_are_refused_clearly(customer, people, field, value, code):
    agent, _reviewer, _other = people
    with pytest.raises(ServiceError) as refused:
        services.correction_request(
            actor=agent, customer=customer, field=field, new_value=value, reason=REASON
        )
    if code:
        assert refused.value.code == code
    assert not CorrectionRequest.objects.exists()


def test_one_open_request_per_field(customer, people):
    agent, _reviewer, _other = people
    services.correction_request(
        actor=agent, customer=customer, field="gender", new_value="M", reason=REASON
    )
    with pytest.raises(ServiceError) as refused:
        services.correction_request(
            actor=agent, customer=customer, field="gender", new_value="F", reason=REASON
        )
    assert refused.value.code == "already_requested"


def test_out_of_scope_customers_and_roles_without_the_permission(customer, make_user, branch_b):
    stranger = make_user(R.AGENT, branches=[branch_b])
    with pytest.raises(NotFound):
        services.correction_request(
            actor=stranger, customer=customer, field="gender", new_value="M", reason=REASON
        )
    marketing = make_user(R.MARKETING)
    with pytest.raises(PermissionDenied):
        services.correction_request(
            actor=marketing, customer=customer, field="gender", new_value="M", reason=REASON
        )


def test_the_pages_record_and_apply_and_never_answer_5xx(customer, people):
    agent, reviewer, _other = people
    url = reverse("privacy:correction_new", args=[customer.pk])
    client = sign_in(Client(), agent)
    assert client.get(url).status_code == 200
    for value in ("", "x" * 5000, "9999-12-31", "\x07bell"):
        response = client.post(url, {"field": "birth_date", "new_value": value, "reason": REASON})
        assert response.status_code == 400
    response = client.post(url, {"field": "gender", "new_value": "M", "reason": REASON})
    assert response.status_code == 303
    correction = CorrectionRequest.objects.get()

    reviewing = sign_in(Client(), reviewer)
    listing = reviewing.get(reverse("privacy:correction_list"))
    assert listing.status_code == 200 and b"Budi Santoso" not in listing.content  # masked
    decide = reverse("privacy:correction_decide", args=[correction.pk])
    assert reviewing.post(decide, {"decision": "maybe"}).status_code == 303  # refused, flash
    assert reviewing.post(decide, {"decision": "apply"}).status_code == 303
    customer.refresh_from_db()
    assert customer.gender == "M"
    assert customer.birth_date != date(9999, 12, 31)
