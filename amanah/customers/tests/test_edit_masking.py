"""Issue 51 item 9(a): the edit form shows phone and e-mail as the 360 does — masked; a field
is opened one at a time with a reason (REVEAL_FIELD, the existing reveal service), and saving
a form whose masked field was not opened keeps the stored value instead of the mask."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import services

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "+6281311110001", "rina.lubis@contoh.co.id"
MASKED_PHONE, MASKED_EMAIL = "+62 813-****-001", "r***@contoh.co.id"
REASON = "nasabah minta nomor dikonfirmasi"


@pytest.fixture
def customer(make_customer):
    return make_customer("Rina Lubis", phone="081311110001", email=EMAIL)


@pytest.fixture
def supervisor(make_user, branch_a):
    user = make_user(R.SUPERVISOR, branches=[branch_a])
    return user, sign_in(Client(), user)


def _edit(customer) -> str:
    return f"/customers/{customer.pk}/edit/"


def _as_shown(customer, branch, **changes) -> dict:
    """The edit form posted back as the page shows it (phone and e-mail masked)."""
    data = {
        "full_name": customer.full_name,
        "birth_date": "",
        "gender": customer.gender,
        "phone": MASKED_PHONE,
        "email": MASKED_EMAIL,
        "home_branch": str(branch.pk),
        "segment_code": "",
        "status": "ACTIVE",
    }
    return {**data, **changes}


def _reveals(customer) -> int:
    return AuditLog.objects.filter(action="REVEAL_FIELD", object_id=str(customer.pk)).count()


def test_the_edit_page_shows_phone_and_email_masked_like_the_360(supervisor, customer):
    _user, client = supervisor
    page = client.get(_edit(customer)).content.decode()
    assert PHONE not in page and "081311110001" not in page and EMAIL not in page
    assert f'value="{MASKED_PHONE}"' in page and f'value="{MASKED_EMAIL}"' in page
    workspace = client.get(f"/customers/{customer.pk}/").content.decode()
    assert MASKED_PHONE in workspace and PHONE not in workspace  # what the 360 shows
    assert _reveals(customer) == 0


def test_saving_without_revealing_keeps_the_stored_values(supervisor, customer, branch_a):
    _user, client = supervisor
    response = client.post(_edit(customer), _as_shown(customer, branch_a, segment_code="SME"))
    assert response.status_code == 303
    customer.refresh_from_db()
    assert (customer.phone_e164, customer.email, customer.segment_code) == (PHONE, EMAIL, "SME")
    row = AuditLog.objects.get(action="UPDATE_CUSTOMER", object_id=str(customer.pk))
    assert row.meta["changed"] == ["segment_code"]


def test_a_changed_or_edited_mask_is_refused_never_stored(supervisor, customer, branch_a):
    _user, client = supervisor
    response = client.post(_edit(customer), _as_shown(customer, branch_a, phone="+62 813-****-999"))
    assert response.status_code == 400
    assert escape("Isian masih tersamar (*).") in response.content.decode()
    customer.refresh_from_db()
    assert customer.phone_e164 == PHONE
    assert not AuditLog.objects.filter(action="UPDATE_CUSTOMER").exists()
    with pytest.raises(ServiceError) as refused:  # the same rule for every caller (the API too)
        data = services.customer_input_of(customer)
        data.email = "x***@contoh.co.id"
        services.customer_update(actor=_user, customer=customer, data=data)
    assert refused.value.code == "masked_value"


def test_a_new_value_typed_over_the_mask_is_saved(supervisor, customer, branch_a):
    _user, client = supervisor
    response = client.post(_edit(customer), _as_shown(customer, branch_a, phone="0813 1111 0009"))
    assert response.status_code == 303
    customer.refresh_from_db()
    assert (customer.phone_e164, customer.email) == ("+6281311110009", EMAIL)


def test_revealing_needs_a_reason_and_is_audited(supervisor, customer):
    user, client = supervisor
    url = f"/customers/{customer.pk}/edit/reveal/phone/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    refused = client.post(url, {"phone-reason": "singkat"}, **htmx)
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    assert _reveals(customer) == 0
    opened = client.post(url, {"phone-reason": REASON}, **htmx)
    assert opened.status_code == 200
    assert (
        f'value="{PHONE}"' in opened.content.decode() and 'name="phone"' in opened.content.decode()
    )
    row = AuditLog.objects.get(action="REVEAL_FIELD", object_id=str(customer.pk))
    assert (row.actor_id, row.meta["field"]) == (str(user.pk), "phone_e164")


def test_revealing_without_javascript_answers_the_form_with_what_was_typed(
    supervisor, customer, branch_a
):
    _user, client = supervisor
    typed = _as_shown(customer, branch_a, full_name="Rina Lubis Baru", **{"email-reason": REASON})
    response = client.post(f"/customers/{customer.pk}/edit/reveal/email/", typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{EMAIL}"' in page and 'value="Rina Lubis Baru"' in page
    assert f'value="{MASKED_PHONE}"' in page and PHONE not in page  # only the one opened
    assert _reveals(customer) == 1
    customer.refresh_from_db()
    assert customer.full_name == "Rina Lubis"  # nothing saved until "Simpan"


def test_without_the_reveal_permission_there_is_no_reveal(make_user, customer, branch_a):
    steward = make_user(R.DATA_STEWARD, branches=[branch_a])  # edits, may not open masked data
    client = sign_in(Client(), steward)
    page = client.get(_edit(customer)).content.decode()
    assert 'data-testid="reveal-phone"' not in page and PHONE not in page
    response = client.post(f"/customers/{customer.pk}/edit/reveal/phone/", {"phone-reason": REASON})
    assert response.status_code == 403 and _reveals(customer) == 0
