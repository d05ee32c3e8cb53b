"""The customer create and edit pages: who may use them, that every change goes through the
services (audit row, event), that bad input changes nothing, and that the duplicate check's
answer is shown (masked outside scope) before a new customer is written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.customers import services
from amanah.customers.models import Customer, CustomerIdentifier, DuplicateFlag, DuplicateReason
from amanah.customers.services import (
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CustomerInput,
    customer_create,
    duplicate_check,
)
from amanah.customers.tests.conftest import BORN, NIK_M

pytestmark = pytest.mark.django_db

CREATE = "/customers/new/"


def _edit(customer) -> str:
    return f"/customers/{customer.pk}/edit/"


def _form(branch, **overrides) -> dict:
    data = {
        "full_name": "Budi Santoso Sitorus",
        "nik": "",
        "birth_date": "",
        "gender": "U",
        "phone": "",
        "email": "",
        "home_branch": str(branch.pk),
        "segment_code": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def supervisor(make_user, branch_a):
    user = make_user(R.SUPERVISOR, branches=[branch_a])
    return user, sign_in(Client(), user)


class Seen:
    def __init__(self):
        self.calls = []

    def record(self, *, actor, **objects):
        self.calls.append((actor, objects))


@pytest.fixture
def seen():
    recorder = Seen()
    with (
        registry.event_handlers.temporarily(
            f"{CUSTOMER_CREATED}:test", EventHandler(CUSTOMER_CREATED, recorder.record)
        ),
        registry.event_handlers.temporarily(
            f"{CUSTOMER_UPDATED}:test", EventHandler(CUSTOMER_UPDATED, recorder.record)
        ),
    ):
        yield recorder


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (R.SUPERVISOR, True),
        (R.DATA_STEWARD, True),
        (R.AGENT, False),
        (R.RM, False),
        (R.MARKETING, False),
        (R.COMPLIANCE, False),
        (R.DIRECTOR, False),
        (R.ADMIN, False),
    ],
)
def test_only_the_master_data_roles_may_register_or_edit(
    role, allowed, make_user, make_customer, branch_a
):
    customer = make_customer()
    client = sign_in(Client(), make_user(role, branches=[branch_a]))
    assert client.get(CREATE).status_code == (200 if allowed else 403)
    before = Customer.objects.count()
    response = client.post(CREATE, _form(branch_a, full_name="Sari Dewi Nasution"))
    assert response.status_code == (303 if allowed else 403)
    assert Customer.objects.count() == before + (1 if allowed else 0)
    edit = client.post(
        _edit(customer), _form(branch_a, full_name="Rina Lubis Baru", status="ACTIVE")
    )
    customer.refresh_from_db()
    # The data steward keeps the data of its branches: it opens and edits them too.
    edited = role in (R.SUPERVISOR, R.DATA_STEWARD)
    assert edit.status_code == (303 if edited else 403)
    assert customer.full_name == ("Rina Lubis Baru" if edited else "Rina Lubis")


def test_the_links_show_for_permitted_roles_only(make_user, make_customer, branch_a):
    customer = make_customer()
    workspace = reverse("customer360:workspace", args=[customer.pk])
    supervisor = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert 'data-testid="new-customer"' in supervisor.get("/customers/").content.decode()
    assert 'data-testid="new-customer"' not in agent.get("/customers/").content.decode()
    assert _edit(customer) in supervisor.get(workspace).content.decode()
    assert _edit(customer) not in agent.get(workspace).content.decode()


def test_the_actors_branch_is_the_default_and_only_branches_in_scope_are_offered(
    make_user, branch_a, branch_b
):
    user = make_user(R.SUPERVISOR, branches=[branch_a, branch_b], home=branch_b)
    page = sign_in(Client(), user).get(CREATE).content.decode()
    assert f'<option value="{branch_b.pk}" selected>' in page
    other = make_user(R.SUPERVISOR, branches=[branch_a])
    page = sign_in(Client(), other).get(CREATE).content.decode()
    assert str(branch_b.pk) not in page


def test_a_branch_out_of_scope_is_refused_and_nothing_saved(supervisor, branch_b):
    _, client = supervisor
    response = client.post(CREATE, _form(branch_b))
    assert response.status_code == 400  # not one of the choices
    assert not Customer.objects.filter(full_name="Budi Santoso Sitorus").exists()


# --------------------------------------------------------------------------- create


def test_create_normalises_and_is_audited_with_an_event(supervisor, branch_a, seen):
    user, client = supervisor
    response = client.post(
        CREATE,
        _form(
            branch_a,
            full_name="  Rizky   Siregar ",
            nik=NIK_M,
            birth_date=BORN.isoformat(),
            gender="M",
            phone="0812-3456-789",
            email="Rizky@Mail.co.id",
            segment_code="PRIORITY",
            has_savings="on",
        ),
    )
    customer = Customer.objects.get(full_name="Rizky Siregar")
    assert response.status_code == 303
    assert response["Location"] == reverse("customer360:workspace", args=[customer.pk])
    assert (customer.phone_e164, customer.email) == ("+628123456789", "rizky@mail.co.id")
    assert (customer.home_branch, customer.segment_code, customer.has_savings) == (
        branch_a,
        "PRIORITY",
        True,
    )
    assert CustomerIdentifier.objects.get(customer=customer, id_type="NIK").id_value == NIK_M
    row = AuditLog.objects.get(action="CREATE_CUSTOMER", object_id=str(customer.pk))
    assert row.actor_id == str(user.pk) and NIK_M not in str(row.meta)
    assert seen.calls == [(user, {"customer": customer})]


def test_a_data_steward_registers_and_opens_the_new_customer(make_user, branch_a):
    client = sign_in(Client(), make_user(R.DATA_STEWARD, branches=[branch_a]))
    response = client.post(CREATE, _form(branch_a), follow=True)
    customer = Customer.objects.get(full_name="Budi Santoso Sitorus")
    assert response.redirect_chain == [(reverse("customer360:workspace", args=[customer.pk]), 303)]
    assert "Budi Santoso Sitorus" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nik": "12345"}, "NIK harus 16 digit angka."),
        ({"nik": "0071012304850003"}, "Kode provinsi NIK tidak dikenal."),
        ({"nik": "1271013204850003"}, "Tanggal lahir di NIK tidak valid."),
        (
            {"nik": NIK_M, "birth_date": "1990-01-01"},
            "Tanggal lahir di NIK tidak cocok dengan data nasabah.",
        ),
        ({"nik": NIK_M, "gender": "F"}, "Kode jenis kelamin di NIK tidak cocok."),
        ({"phone": "0812"}, "Nomor telepon tidak valid."),
        ({"phone": "+1 202 555 01"}, "Nomor telepon tidak valid."),
        ({"email": "bukan-email"}, "Alamat email tidak valid."),
        ({"full_name": " "}, None),  # the form's own "required"
        ({"full_name": "R"}, "Nama nasabah wajib diisi."),
        ({"birth_date": "2999-01-01"}, None),  # the form's own date bounds
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(supervisor, branch_a, fields, message):
    _, client = supervisor
    before = (Customer.objects.count(), AuditLog.objects.filter(action="CREATE_CUSTOMER").count())
    response = client.post(CREATE, _form(branch_a, **fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="customer-form"' in page and "form-error" in page
    if message:
        assert escape(message) in page
    after = (Customer.objects.count(), AuditLog.objects.filter(action="CREATE_CUSTOMER").count())
    assert after == before


@pytest.mark.parametrize("field", ["full_name", "phone", "nik", "email"])
def test_a_nul_byte_is_refused_and_nothing_is_saved(supervisor, branch_a, make_customer, field):
    _, client = supervisor
    customer = make_customer()
    before = Customer.objects.count()
    response = client.post(CREATE, _form(branch_a, **{field: "Budi\x00Santoso"}))
    assert response.status_code == 400
    assert Customer.objects.count() == before
    response = client.post(_edit(customer), _form(branch_a, **{field: "Rina\x00Lubis"}))
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.full_name == "Rina Lubis"


# --------------------------------------------------------------------------- duplicates


def test_possible_duplicates_are_shown_before_anything_is_written(
    supervisor, make_customer, branch_a, branch_b
):
    _, client = supervisor
    here = make_customer("Rina Lubis", phone="081311110001")
    elsewhere = make_customer(
        "Siti Aminah", branch=branch_b, nik=NIK_M, birth_date=BORN, gender="M"
    )
    data = _form(
        branch_a,
        full_name="Rina Lubis",
        phone="0813-1111-0001",
        nik=NIK_M,
        birth_date=BORN.isoformat(),
        gender="M",
    )
    response = client.post(CREATE, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="duplicate-candidate"') == 2
    # In scope: the name and a link to the 360; the phone masked as the 360 masks it.
    assert reverse("customer360:workspace", args=[here.pk]) in page
    assert "+62 813-****-001" in page and "081311110001" not in page
    # Out of scope: masked name, no link, the reason.
    assert "S*** A***" in page and "Siti Aminah" not in page
    assert page.count("-****-") == 1  # the other branch's customer: not even a masked phone
    assert reverse("customer360:workspace", args=[elsewhere.pk]) not in page
    assert "NIK" in page and 'name="confirm"' in page
    assert Customer.objects.count() == 2 and not DuplicateFlag.objects.exists()
    check = AuditLog.objects.get(object_type="CUSTOMER_DUPLICATE_CHECK")
    assert check.action == "SEARCH_CUSTOMER"
    assert check.meta == {"result_count": 2, "outside_scope": 1}

    response = client.post(CREATE, {**data, "confirm": "on"})
    assert response.status_code == 303
    created = Customer.objects.exclude(pk__in=[here.pk, elsewhere.pk]).get()
    flagged = {frozenset((f.customer_a_id, f.customer_b_id)) for f in DuplicateFlag.objects.all()}
    assert flagged == {frozenset((created.pk, here.pk)), frozenset((created.pk, elsewhere.pk))}


def test_no_candidates_means_no_confirmation_asked(supervisor, make_customer, branch_a):
    _, client = supervisor
    make_customer("Rina Lubis", phone="081311110001")
    response = client.post(CREATE, _form(branch_a, phone="081311110002"))
    assert response.status_code == 303


def test_the_service_refuses_an_unconfirmed_duplicate(system, make_user, make_customer, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    make_customer("Rina Lubis", phone="081311110001")
    data = CustomerInput(full_name="R. Lubis", home_branch=branch_a, phone="+6281311110001")
    (candidate,) = duplicate_check(actor=supervisor, data=data)
    assert candidate.reasons == [str(DuplicateReason.SAME_PHONE.label)] and candidate.in_scope
    with pytest.raises(ServiceError) as refused:
        customer_create(actor=supervisor, data=data, allow_duplicates=False)
    assert refused.value.code == "possible_duplicate"
    assert Customer.objects.count() == 1
    customer_create(actor=supervisor, data=data, allow_duplicates=True)
    assert Customer.objects.count() == 2


def test_the_check_refuses_bad_input_like_the_create(make_user, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    bad = CustomerInput(full_name="Rina Lubis", home_branch=branch_a, nik="123")
    with pytest.raises(ServiceError) as refused:
        duplicate_check(actor=supervisor, data=bad)
    assert refused.value.code == "nik_format"


# --------------------------------------------------------------------------- edit


def test_edit_out_of_scope_or_missing_is_not_found(supervisor, make_customer, branch_a, branch_b):
    _, client = supervisor
    other = make_customer("Siti Aminah", branch=branch_b)
    assert client.get(_edit(other)).status_code == 404
    response = client.post(_edit(other), _form(branch_b, full_name="Siti Diubah"))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.full_name == "Siti Aminah"
    assert client.get("/customers/00000000-0000-0000-0000-000000000000/edit/").status_code == 404
    assert not AuditLog.objects.filter(action="UPDATE_CUSTOMER").exists()


def test_edit_is_audited_with_the_changed_fields(supervisor, make_customer, branch_a, seen):
    user, client = supervisor
    customer = make_customer(
        "Rina Lubis", phone="081311110001", birth_date=BORN, gender="F", segment_code="MASS"
    )
    page = client.get(_edit(customer)).content.decode()
    # the phone as the 360 shows it (masked): test_edit_masking.py
    assert 'value="Rina Lubis"' in page and "+62 813-****-001" in page
    response = client.post(
        _edit(customer),
        _form(
            branch_a,
            full_name="Rina Lubis",
            birth_date=BORN.isoformat(),
            gender="F",
            phone="0813 1111 0009",
            segment_code="PRIORITY",
            status="ACTIVE",
        ),
    )
    assert response.status_code == 303
    assert response["Location"] == reverse("customer360:workspace", args=[customer.pk])
    customer.refresh_from_db()
    assert (customer.phone_e164, customer.segment_code) == ("+6281311110009", "PRIORITY")
    row = AuditLog.objects.get(action="UPDATE_CUSTOMER", object_id=str(customer.pk))
    assert row.actor_id == str(user.pk)
    assert row.meta["changed"] == ["phone_e164", "segment_code"]
    assert "0009" not in str(row.meta)
    updates = [call for call in seen.calls if "changed" in call[1]]
    assert updates == [(user, {"customer": customer, "changed": ["phone_e164", "segment_code"]})]


def test_a_bad_phone_on_edit_changes_nothing(supervisor, make_customer, branch_a):
    _, client = supervisor
    customer = make_customer("Rina Lubis", phone="081311110001")
    response = client.post(
        _edit(customer), _form(branch_a, full_name="Rina L", phone="12", status="ACTIVE")
    )
    assert response.status_code == 400
    assert escape("Nomor telepon tidak valid.") in response.content.decode()
    customer.refresh_from_db()
    assert (customer.full_name, customer.phone_e164) == ("Rina Lubis", "+6281311110001")
    assert not AuditLog.objects.filter(action="UPDATE_CUSTOMER").exists()


def test_the_input_of_a_customer_round_trips(make_customer):
    customer = make_customer("Rina Lubis", phone="081311110001", segment_code="SME")
    data = services.customer_input_of(customer)
    assert (data.full_name, data.phone, data.segment_code) == (
        "Rina Lubis",
        "+6281311110001",
        "SME",
    )
