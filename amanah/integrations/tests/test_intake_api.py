"""POST /api/v1/intake/cases: same matching rule, idempotent by the caller's key, hostile
input refused in the API's one error shape with nothing written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases.models import Case
from amanah.integrations.models import InboundIntake, IntakeStatus
from amanah.integrations.testing import make_system

URL = "/api/v1/intake/cases"
TEXT = "Kartu ATM saya tertelan di mesin cabang Medan Kota."
pytestmark = pytest.mark.django_db


@pytest.fixture
def raw():
    return make_system(
        "call-centre",
        permissions=[
            "case.create",
            "case.update",
            "case.view",
            "case.view.branch",
            "customer.view",
            "customer.view.branch",
        ],
        all_branches=True,
    )[2]


def post(raw, body, *, as_json=True):
    data = json.dumps(body) if as_json else body
    return Client().post(
        URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )


def body(**extra):
    return {
        "idempotency_key": "tiket-1",
        "phone": "0812 6000 1111",
        "text": TEXT,
        "channel": "CALL_CENTER",
    } | extra


def test_matched_opens_a_case_and_a_replay_changes_nothing(raw, customer):
    first = post(raw, body())
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["status"] == "CASE_CREATED" and answer["replayed"] is False
    case = Case.objects.get()
    assert case.case_no == answer["case_no"] and case.channel == "CALL_CENTER"
    again = post(raw, body())
    assert again.status_code == 200
    assert again.json() | {"replayed": False} == answer and again.json()["replayed"] is True
    assert Case.objects.count() == 1 and InboundIntake.objects.count() == 1
    # the next ticket for the same customer and channel is a note on the open case
    note = post(raw, body(idempotency_key="tiket-2", text="Nasabah menelepon lagi soal kartu."))
    assert note.json()["status"] == "NOTE_ADDED" and Case.objects.count() == 1


def test_unmatched_goes_to_the_queue(raw, customer):
    response = post(raw, body(phone="+6281399990009"))
    assert response.status_code == 201
    assert response.json()["status"] == "UNMATCHED" and response.json()["case_no"] is None
    assert InboundIntake.objects.get().status == IntakeStatus.UNMATCHED


def test_the_key_is_per_system(raw, customer):
    other = make_system("mobile-banking", permissions=["case.create"])[2]
    post(raw, body())
    assert post(other, body()).json()["replayed"] is False
    assert InboundIntake.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (body(text="Halo\x00 saldo saya terpotong"), 400, "invalid_characters"),
        (body(idempotency_key="k\x00"), 400, "invalid_characters"),
        (body(text="x" * 5000), 422, "invalid_input"),
        (body(idempotency_key="k" * 201), 422, "invalid_input"),
        (body(phone=81260001111), 422, "invalid_input"),
        (body(text=["daftar"]), 422, "invalid_input"),
        ({"phone": "081260001111"}, 422, "invalid_input"),
        (body(text="pendek"), 400, "chronology_required"),
        (body(channel="FAX"), 400, "channel_required"),
        (body(phone="bukan nomor"), 400, "phone_invalid"),
        (body(idempotency_key="   "), 400, "idempotency_key_required"),
    ],
)
def test_hostile_input_is_a_clear_error_and_writes_nothing(raw, customer, payload, status, code):
    before = AuditLog.objects.count()
    response = post(raw, payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not InboundIntake.objects.exists() and not Case.objects.exists()
    assert AuditLog.objects.count() == before


def test_a_body_that_is_not_json_is_refused(raw, customer):
    response = post(raw, "{not json", as_json=False)
    assert response.status_code in (400, 422)
    assert not InboundIntake.objects.exists()


def test_a_user_token_still_works_the_old_way(customer, make_user, system, branch_a):
    from amanah.core.roles import RoleKey as R
    from amanah.iam import services as iam

    agent = make_user(R.AGENT, branches=[branch_a])
    _token, user_raw = iam.api_token_create(actor=system, user=agent, role="AGENT", name="t")
    response = post(user_raw, body())
    assert response.status_code == 201 and response.json()["status"] == "CASE_CREATED"


# --------------------------------------------------------------------------- JSON body cap


def test_a_json_body_over_2_mb_is_a_413_in_the_api_error_shape_before_it_is_parsed(raw, customer):
    limit = 2 * 1024 * 1024
    # Not even JSON: were it parsed, the answer would be 400 invalid_json.
    over = Client().generic(
        "POST",
        URL,
        b"{" + b"x" * limit,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert over.status_code == 413
    assert over.json() == {
        "code": "too_large",
        "message": "Isi permintaan JSON terlalu besar (maks. 2 MB).",
        "field": None,
    }
    # Another content type is no way around it: the API reads any non-multipart body as JSON.
    plain = Client().generic("POST", URL, b"x" * (limit + 1), content_type="text/plain")
    assert plain.status_code == 413 and plain.json()["code"] == "too_large"
    # Just under the cap: parsed and answered by the endpoint (its own refusal here).
    body = {"idempotency_key": "besar-1", "phone": "081260001111", "channel": "CALL_CENTER"}
    body["text"] = "x" * (limit - len(json.dumps(body)) - 20)
    under = post(raw, body)
    assert under.status_code != 413 and under.json()["code"] != "too_large"
    assert not InboundIntake.objects.exists() and not Case.objects.exists()
