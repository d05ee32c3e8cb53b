import uuid

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam

NIK = "1271012304850003"


def token_for(user, role):
    return {
        "HTTP_AUTHORIZATION": "Bearer "
        + iam.api_token_create(actor=SystemActor("t"), user=user, role=role, name="t")[1]
    }


@pytest.fixture
def rizky(make_customer):
    return make_customer(
        "H. Muhammad Rizky Siregar, S.E.", phone="081234567789", cif="CIF0042", nik=NIK, gender="M"
    )


def test_search_api_is_scoped_and_masked(rizky, make_user, branch_a, branch_b):
    inside = token_for(make_user(R.AGENT, branches=[branch_a]), "AGENT")
    outside = token_for(make_user(R.AGENT, branches=[branch_b]), "AGENT")
    body = Client().get("/api/v1/customers/search", {"q": "Muh Rizky Siregar"}, **inside).json()
    assert [(r["full_name"], r["match"], r["masked_cif"]) for r in body["results"]] == [
        (rizky.full_name, "EXACT", "***0042")
    ]
    assert Client().get(
        "/api/v1/customers/search", {"q": "Muh Rizky Siregar"}, **outside
    ).json() == {"results": []}
    short = Client().get("/api/v1/customers/search", {"q": "ab"}, **inside)
    assert short.status_code == 400 and short.json()["code"] == "query_too_short"


def test_summary_api_masks_and_audits_and_hides_out_of_scope(rizky, make_user, branch_a, branch_b):
    inside = token_for(make_user(R.AGENT, branches=[branch_a]), "AGENT")
    body = Client().get(f"/api/v1/customers/{rizky.pk}/summary", **inside).json()
    assert body["phone"] == "+62 812-****-789" and NIK not in str(body)
    assert body["consents"]["MARKETING"] == "" and body["marketing_blocked"] is True
    assert AuditLog.objects.filter(action="VIEW_PROFILE", object_id=str(rizky.pk)).count() == 1
    outside = token_for(make_user(R.AGENT, branches=[branch_b]), "AGENT")
    out = Client().get(f"/api/v1/customers/{rizky.pk}/summary", **outside)
    missing = Client().get(f"/api/v1/customers/{uuid.uuid4()}/summary", **outside)
    assert out.status_code == missing.status_code == 404


def test_consent_api_and_timeline(rizky, make_user, branch_a):
    agent = token_for(make_user(R.AGENT, branches=[branch_a]), "AGENT")
    payload = {
        "consent_type": "MARKETING",
        "new_status": "GRANTED",
        "channel": "MOBILE",
        "verification_method": "PHONE_OTP",
    }
    created = Client().post(
        f"/api/v1/customers/{rizky.pk}/consents", payload, content_type="application/json", **agent
    )
    assert created.status_code == 201 and created.json()["new_status"] == "GRANTED"
    again = Client().post(
        f"/api/v1/customers/{rizky.pk}/consents", payload, content_type="application/json", **agent
    )
    assert again.status_code == 400 and again.json()["code"] == "no_change"
    events = (
        Client().get(f"/api/v1/customers/{rizky.pk}/timeline", {"kind": "CONSENT"}, **agent).json()
    )
    assert [e["kind"] for e in events] == ["CONSENT"]


def test_marketing_cannot_change_consent_through_the_api(rizky, make_user, branch_a):
    from amanah.iam.models import RolePermission

    RolePermission.objects.create(role_id="MARKETING", permission="consent.change")
    RolePermission.objects.create(role_id="MARKETING", permission="customer.view")
    RolePermission.objects.create(role_id="MARKETING", permission="customer.view.branch")
    marketing = token_for(make_user(R.MARKETING, branches=[branch_a]), "MARKETING")
    response = Client().post(
        f"/api/v1/customers/{rizky.pk}/consents",
        {
            "consent_type": "MARKETING",
            "new_status": "GRANTED",
            "channel": "MOBILE",
            "verification_method": "PHONE_OTP",
        },
        content_type="application/json",
        **marketing,
    )
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action="CHANGE_CONSENT").exists()


def test_consent_api_withdraws_for_one_channel(rizky, make_user, branch_a):
    agent = token_for(make_user(R.AGENT, branches=[branch_a]), "AGENT")
    url = f"/api/v1/customers/{rizky.pk}/consents"
    base = {"consent_type": "MARKETING", "channel": "MOBILE", "verification_method": "PHONE_OTP"}
    Client().post(url, {**base, "new_status": "GRANTED"}, content_type="application/json", **agent)
    email_only = {**base, "new_status": "WITHDRAWN", "contact_channel": "EMAIL"}
    created = Client().post(url, email_only, content_type="application/json", **agent)
    assert created.status_code == 201 and created.json()["contact_channel"] == "EMAIL"
    bad = Client().post(
        url, {**email_only, "contact_channel": "PIGEON"}, content_type="application/json", **agent
    )
    assert bad.status_code == 400 and bad.json()["code"] == "contact_channel_invalid"
    events = (
        Client().get(f"/api/v1/customers/{rizky.pk}/timeline", {"kind": "CONSENT"}, **agent).json()
    )
    assert events[0]["title"] == "Pemasaran (Email): Ditarik"
