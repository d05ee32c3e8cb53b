"""Pelanggan: registration (address quality, one per person, unique number), status moves,
branch scope on pages, the 360 card."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.utility import selectors, services, testing


def test_registration_sets_branch_and_address_flag(db, branch_a):
    conn = testing.connection(branch_a, active=False, rt="", house_number="")
    assert conn.status == "APPLIED" and conn.branch_id == branch_a.pk
    assert conn.address_incomplete
    full = testing.connection(branch_a, active=False)
    assert not full.address_incomplete and (full.rt, full.rw) == ("003", "005")


def test_number_unique_and_one_connection_per_person(db, branch_a):
    first = testing.connection(branch_a, number="01-000777")
    with pytest.raises(ServiceError) as taken:
        testing.connection(branch_a, number="01-000777")
    assert taken.value.code == "number_taken"
    with pytest.raises(ServiceError) as twice:
        services.connection_create(
            actor=testing.SYSTEM,
            data=services.ConnectionInput(
                customer_id=first.customer_id,
                number="01-000778",
                tariff_code="R1",
                area_code="W1",
                street="Jl. Lain",
            ),
        )
    assert twice.value.code == "customer_has_connection"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("number", "x", "number_invalid"),
        ("number", "01\x00-1", "number_invalid"),
        ("rt", "abc", "rt_invalid"),
        ("lat", "91", "lat_invalid"),
        ("tariff_code", "ZZ", "tariff_unknown"),
        ("area_code", "ZZ", "area_unknown"),
        ("street", "", "street_required"),
        ("street", "Jl.\x07", "street_invalid_characters"),
        ("customer_id", "not-a-uuid", "customer_unknown"),
    ],
)
def test_hostile_registration_is_refused(db, branch_a, field, value, code):
    with pytest.raises(ServiceError) as refused:
        testing.connection(branch_a, active=False, **{field: value})
    assert refused.value.code == code


def test_customer_of_another_branch_cannot_be_registered(db, branch_a, branch_b, make_user):
    testing.network()
    other = customer_create(
        actor=testing.SYSTEM, data=CustomerInput(full_name="Budi", home_branch=branch_b)
    )
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(ServiceError) as refused:
        services.connection_create(
            actor=supervisor,
            data=services.ConnectionInput(
                customer_id=other.pk, number="01-9", tariff_code="R1", area_code="W1", street="Jl"
            ),
        )
    assert refused.value.code == "customer_unknown"


def test_status_moves_follow_the_rules(db, branch_a):
    conn = testing.connection(branch_a)
    assert conn.activated_on is not None
    services.connection_status_set(actor=testing.SYSTEM, connection_id=conn.pk, status="SUSPENDED")
    with pytest.raises(ServiceError) as refused:
        services.connection_status_set(
            actor=testing.SYSTEM, connection_id=conn.pk, status="APPLIED"
        )
    assert refused.value.code == "transition_not_allowed"
    with pytest.raises(ServiceError):
        services.connection_status_set(actor=testing.SYSTEM, connection_id=conn.pk, status="X")


def test_list_and_detail_are_scoped_by_branch(db, branch_a, branch_b, make_user):
    mine = testing.connection(branch_a, rt="")
    theirs = testing.connection(branch_b)
    agent = make_user(R.AGENT, branches=[branch_a])
    rows, _more = selectors.connection_list(agent, selectors.ConnectionFilter())
    assert [r.pk for r in rows] == [mine.pk]
    with pytest.raises(NotFound):
        selectors.connection_get(agent, theirs.pk)
    client = sign_in(Client(), agent)
    assert client.get(reverse("utility:connection", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("utility:connection", args=[mine.pk]))
    assert page.status_code == 200 and b"address-incomplete" in page.content
    listed = client.get(reverse("utility:connections"), {"alamat": "on", "q": mine.number})
    assert mine.number.encode() in listed.content and theirs.number.encode() not in listed.content
    assert client.get(reverse("utility:connections"), {"page": "x" * 5000}).status_code == 400


def test_registration_form_and_hostile_post(db, branch_a, make_user):
    testing.network()
    person = customer_create(
        actor=testing.SYSTEM, data=CustomerInput(full_name="Rina", home_branch=branch_a)
    )
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    form = {
        "customer_id": str(person.pk),
        "number": "02-000001",
        "tariff_code": "R1",
        "area_code": "W1",
        "street": "Jl. Gatot Subroto",
        "rt": "1",
        "rw": "2",
    }
    made = client.post(reverse("utility:connection_new"), form)
    assert made.status_code == 303
    again = client.post(reverse("utility:connection_new"), {**form, "number": "02-000002"})
    assert again.status_code == 400 and "satu sambungan" in again.content.decode()
    junk = client.post(reverse("utility:connection_new"), {**form, "tariff_code": "'; drop"})
    assert junk.status_code == 400


def test_customer_360_card_shows_the_connection(db, branch_a, make_user):
    conn = testing.connection(branch_a)
    client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    page = client.get(reverse("customer360:workspace", args=[conn.customer_id]))
    assert page.status_code == 200
    assert b"water-connection" in page.content and conn.number.encode() in page.content
