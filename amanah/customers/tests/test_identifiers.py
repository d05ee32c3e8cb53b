"""Issue 50 item 4, identifiers and relations after registration: CIF, account and NIK added
(validated), corrected and verified (four eyes), an account removed; relations added and
removed — on the page, by API, each audited with an event; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.customers import services
from amanah.customers.models import CustomerRelation
from amanah.customers.tests.conftest import BORN, NIK_F, NIK_M
from amanah.customers.tests.test_api import token_for

pytestmark = pytest.mark.django_db
REASON = "salah ketik saat pembukaan rekening"


@pytest.fixture
def rina(make_customer):
    return make_customer("Rina Lubis", birth_date=BORN, gender="M", cif="CIF0100")


@pytest.fixture
def steward(make_user, branch_a):
    return make_user(R.DATA_STEWARD, branches=[branch_a])


@pytest.fixture
def changed():
    seen = []
    handler = EventHandler(
        services.IDENTIFIERS_CHANGED,
        lambda *, actor, customer, id_type: seen.append((customer.pk, id_type)),
    )
    with registry.event_handlers.temporarily("customers.identifiers_changed:test", handler):
        yield seen


def _values(customer) -> set:
    return set(customer.identifiers.values_list("id_type", "id_value", "is_primary"))


def test_a_nik_is_added_after_registration_and_checked_against_the_customer(steward, rina, changed):
    for wrong, code in (("12345", "nik_format"), (NIK_F, "nik_gender_mismatch")):
        with pytest.raises(ServiceError) as refused:
            services.identifier_add(actor=steward, customer=rina, id_type="NIK", value=wrong)
        assert (refused.value.code, refused.value.field) == (code, "value")
    assert _values(rina) == {("CIF", "CIF0100", True)}
    services.identifier_add(actor=steward, customer=rina, id_type="NIK", value=NIK_M)
    assert ("NIK", NIK_M, True) in _values(rina)
    row = AuditLog.objects.get(action="ADD_IDENTIFIER", object_id=str(rina.pk))
    assert row.meta["id_type"] == "NIK" and NIK_M not in str(row.meta)
    assert changed == [(rina.pk, "NIK")]


def test_a_second_account_is_added_and_one_held_elsewhere_refused(steward, rina, make_customer):
    make_customer("Orang Lain", account_numbers=["5550001111"])
    services.identifier_add(
        actor=steward, customer=rina, id_type="ACCOUNT_NO", value="555-000-2222"
    )
    services.identifier_add(actor=steward, customer=rina, id_type="ACCOUNT_NO", value="5550003333")
    accounts = {(v, p) for t, v, p in _values(rina) if t == "ACCOUNT_NO"}
    assert accounts == {("5550002222", True), ("5550003333", False)}
    for value, code in (("5550001111", "identifier_taken"), ("5550002222", "identifier_exists")):
        with pytest.raises(ServiceError) as refused:
            services.identifier_add(actor=steward, customer=rina, id_type="ACCOUNT_NO", value=value)
        assert refused.value.code == code


def test_a_correction_clears_the_verification_and_four_eyes_verify(
    steward, make_user, rina, branch_a
):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    account = services.identifier_add(
        actor=steward, customer=rina, id_type="ACCOUNT_NO", value="5550002222"
    )
    with pytest.raises(ServiceError) as own:
        services.identifier_verify(
            actor=steward, customer=rina, identifier_id=account.pk, method="DOCUMENT"
        )
    assert own.value.code == "four_eyes"
    services.identifier_verify(
        actor=supervisor, customer=rina, identifier_id=account.pk, method="DOCUMENT"
    )
    account.refresh_from_db()
    assert (account.verified_by, account.verification_method) == (supervisor, "DOCUMENT")
    services.identifier_correct(
        actor=supervisor, customer=rina, identifier_id=account.pk, value="5550002223", reason=REASON
    )
    account.refresh_from_db()
    assert (account.id_value, account.verified_at, account.changed_by) == (
        "5550002223",
        None,
        supervisor,
    )
    actions = list(
        AuditLog.objects.filter(object_id=str(rina.pk), action__endswith="_IDENTIFIER")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["ADD_IDENTIFIER", "VERIFY_IDENTIFIER", "CORRECT_IDENTIFIER"]


def test_only_an_account_is_removed_and_the_next_becomes_primary(steward, rina):
    first = services.identifier_add(
        actor=steward, customer=rina, id_type="ACCOUNT_NO", value="5550002222"
    )
    services.identifier_add(actor=steward, customer=rina, id_type="ACCOUNT_NO", value="5550003333")
    cif = rina.identifiers.get(id_type="CIF")
    with pytest.raises(ServiceError) as refused:
        services.identifier_remove(
            actor=steward, customer=rina, identifier_id=cif.pk, reason=REASON
        )
    assert refused.value.code == "identifier_not_removable"
    services.identifier_remove(actor=steward, customer=rina, identifier_id=first.pk, reason=REASON)
    assert {(v, p) for t, v, p in _values(rina) if t == "ACCOUNT_NO"} == {("5550003333", True)}


def test_another_customers_identifier_or_out_of_scope_is_not_found(
    steward, rina, make_customer, branch_b
):
    other = make_customer("Luar Cabang", branch=branch_b, cif="CIF0200")
    with pytest.raises(NotFound):
        services.identifier_add(actor=steward, customer=other, id_type="ACCOUNT_NO", value="5559")
    theirs = other.identifiers.get()
    with pytest.raises(NotFound):
        services.identifier_correct(
            actor=steward, customer=rina, identifier_id=theirs.pk, value="CIF0201", reason=REASON
        )
    assert other.identifiers.get().id_value == "CIF0200"


def test_the_page_adds_verifies_and_reveals(steward, make_user, rina, branch_a):
    page_url = f"/customers/{rina.pk}/data/"
    client = sign_in(Client(), steward)
    page = client.get(page_url).content.decode()
    assert "CIF0100" not in page and "***0100" in page
    response = client.post(
        f"/customers/{rina.pk}/identifiers/add/", {"id_type": "NIK", "value": NIK_M}, follow=True
    )
    assert "menunggu verifikasi" in response.content.decode()
    nik = rina.identifiers.get(id_type="NIK")
    supervisor = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    supervisor.post(f"/customers/{rina.pk}/identifiers/{nik.pk}/verify/", {"method": "DUKCAPIL"})
    nik.refresh_from_db()
    assert nik.verification_method == "DUKCAPIL"
    opened = supervisor.post(
        f"/customers/{rina.pk}/identifiers/{nik.pk}/reveal/",
        {"reason": "cocokkan dengan KTP asli"},
        HTTP_HX_REQUEST="true",
    )
    assert NIK_M in opened.content.decode()
    assert AuditLog.objects.filter(action="REVEAL_FIELD", object_id=str(nik.pk)).count() == 1


def test_a_bad_value_on_the_page_changes_nothing(steward, rina):
    client = sign_in(Client(), steward)
    response = client.post(
        f"/customers/{rina.pk}/identifiers/add/", {"id_type": "NIK", "value": "\u0661" * 16},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200 and "NIK harus 16 digit angka." in response.content.decode()
    assert not rina.identifiers.filter(id_type="NIK").exists()


def test_the_api_adds_corrects_and_verifies(steward, make_user, rina, branch_a):
    token = token_for(steward, "DATA_STEWARD")
    url = f"/api/v1/customers/{rina.pk}/identifiers"
    made = Client().post(
        url, {"id_type": "ACCOUNT_NO", "value": "5550002222"}, content_type="application/json",
        **token,
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["masked"] == "******2222"
    pk = made.json()["id"]
    fixed = Client().patch(
        f"{url}/{pk}", {"value": "5550002223", "reason": REASON}, content_type="application/json",
        **token,
    )  # fmt: skip
    assert fixed.status_code == 200 and fixed.json()["masked"] == "******2223"
    supervisor = token_for(make_user(R.SUPERVISOR, branches=[branch_a]), "SUPERVISOR")
    verified = Client().post(
        f"{url}/{pk}/verify", {"method": "CORE_SYSTEM"}, content_type="application/json",
        **supervisor,
    )  # fmt: skip
    assert verified.json()["verification_method"] == "CORE_SYSTEM"
    listed = Client().get(url, **token).json()
    assert {i["masked"] for i in listed} == {"***0100", "******2223"}


# --------------------------------------------------------------------------- relations


def test_relations_are_added_by_cif_and_removed_on_the_page(steward, rina, make_customer):
    husband = make_customer("Budi Nasution", cif="CIF0101")
    client = sign_in(Client(), steward)
    add = f"/customers/{rina.pk}/relations/add/"
    page = client.post(
        add, {"other_cif": "CIF9999", "relation_type": "FAMILY"}, follow=True
    ).content.decode()
    assert "Tidak ada nasabah dengan CIF itu" in page
    client.post(add, {"other_cif": "cif0101", "relation_type": "FAMILY", "label": "Suami"})
    relation = CustomerRelation.objects.get()
    assert (relation.from_customer, relation.to_customer, relation.label) == (
        rina,
        husband,
        "Suami",
    )
    page = client.get(f"/customers/{husband.pk}/data/").content.decode()
    assert "Rina Lubis" in page  # seen from the other end too
    client.post(f"/customers/{husband.pk}/relations/{relation.pk}/remove/", {"reason": REASON})
    assert not CustomerRelation.objects.exists()
    actions = set(
        AuditLog.objects.filter(action__endswith="_RELATION").values_list("action", "object_id")
    )
    assert actions == {("ADD_RELATION", str(rina.pk)), ("REMOVE_RELATION", str(husband.pk))}


def test_a_relation_needs_a_known_type_and_both_ends_in_scope(
    steward, rina, make_customer, branch_b
):
    far = make_customer("Jauh", branch=branch_b, cif="CIF0300")
    with pytest.raises(NotFound):
        services.relation_add(actor=steward, customer=rina, other=far, relation_type="FAMILY")
    with pytest.raises(ServiceError) as refused:
        services.relation_add(
            actor=steward, customer=rina, other=make_customer("Dekat"), relation_type="TEMAN"
        )
    assert refused.value.code == "relation_type_invalid"
    assert not CustomerRelation.objects.exists()


def test_the_relations_api(steward, rina, make_customer):
    make_customer("PT Sawit Medan", cif="CIF0500")
    token = token_for(steward, "DATA_STEWARD")
    url = f"/api/v1/customers/{rina.pk}/relations"
    made = Client().post(
        url, {"other_cif": "CIF0500", "relation_type": "COMPANY", "label": "Pemilik"},
        content_type="application/json", **token,
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["outgoing"] is True
    again = Client().post(
        url, {"other_cif": "CIF0500", "relation_type": "COMPANY"},
        content_type="application/json", **token,
    )  # fmt: skip
    assert again.status_code == 400 and again.json()["code"] == "relation_exists"
    assert [r["label"] for r in Client().get(url, **token).json()] == ["Pemilik"]
