"""Template pages: deny by default, field errors from the services, preview, four eyes."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.messaging import template_services as ts
from amanah.messaging.models import MessageTemplate, TemplateVersion
from amanah.messaging.tests.test_templates import offer_email, whatsapp_receipt

NEW = {
    "key": "case.status",
    "name": "Kabar status kasus",
    "channel": "SMS",
    "purpose": "SERVICE",
    "language": "id",
    "text": "Kasus {{case.case_no}} kini {{case.status}}.",
}


def url(name: str, *parts) -> str:
    paths = {
        "list": "/messaging/templates/",
        "new": "/messaging/templates/new/",
        "detail": "/messaging/templates/{}/",
        "save": "/messaging/templates/{}/save/",
        "preview": "/messaging/templates/{}/v{}/preview/",
        "action": "/messaging/templates/{}/v{}/{}/",
    }
    return paths[name].format(*parts)


@pytest.fixture
def marketer_client(signed_in):
    return signed_in(R.MARKETING)


def test_anonymous_is_sent_to_login_and_roles_without_permission_get_403(signed_in, make_user):
    template = offer_email(make_user(R.MARKETING))
    assert Client().get(url("list")).status_code == 302
    agent, _user = signed_in(R.AGENT)
    for path in (url("list"), url("detail", template.pk), url("preview", template.pk, 1)):
        assert agent.get(path).status_code == 403
    assert agent.post(url("new"), NEW).status_code == 403
    assert agent.post(url("action", template.pk, 1, "submit")).status_code == 403
    compliance, _user = signed_in(R.COMPLIANCE)  # sees and approves, does not write
    assert compliance.get(url("detail", template.pk)).status_code == 200
    assert compliance.post(url("new"), NEW).status_code == 403
    assert compliance.post(url("save", template.pk), {"text": "x"}).status_code == 403
    assert not MessageTemplate.objects.filter(key="case.status").exists()


def test_missing_things_answer_404(marketer_client):
    client, user = marketer_client
    template = offer_email(user)
    assert client.get(url("detail", 999_999)).status_code == 404
    assert client.get(url("preview", template.pk, 7)).status_code == 404
    assert client.post(url("action", template.pk, 1, "explode")).status_code == 404
    unknown_customer = f"{url('preview', template.pk, 1)}?customer={uuid.uuid4()}"
    assert client.get(unknown_customer).status_code == 404


def test_create_shows_the_unknown_variable_next_to_its_field_and_saves_nothing(marketer_client):
    client, _user = marketer_client
    response = client.post(url("new"), {**NEW, "text": "Saldo {{customer.balance}}"})
    assert response.status_code == 400
    assert "customer.balance" in response.content.decode()
    assert not MessageTemplate.objects.exists()
    response = client.post(url("new"), NEW)
    assert response.status_code == 303
    template = MessageTemplate.objects.get(key="case.status")
    assert response["Location"] == url("detail", template.pk)
    page = client.get(url("list")).content.decode()
    assert "Kabar status kasus" in page and "Draf (DRAFT)" in page


def test_hostile_input_is_refused_at_the_door(marketer_client):
    client, user = marketer_client
    template = offer_email(user)
    for text in ("Halo\x00", "x" * 100_000):
        response = client.post(url("save", template.pk), {"subject": "Hai", "text": text})
        assert response.status_code == 400
    assert TemplateVersion.objects.get(template=template).text.startswith("Kode promo")


def test_edit_submit_and_four_eyes_through_the_pages(marketer_client, signed_in):
    client, author = marketer_client
    template = offer_email(author)
    response = client.post(
        url("save", template.pk), {"subject": "Hai", "text": "Kode {{promo.code}} untuk Anda"}
    )
    assert response.status_code == 303
    assert client.post(url("action", template.pk, 1, "submit")).status_code == 303
    page = client.get(url("detail", template.pk)).content.decode()
    assert 'data-testid="move-approve"' not in page  # the author is not offered the decision
    response = client.post(url("action", template.pk, 1, "approve"), follow=True)
    assert "tidak boleh disetujui" in response.content.decode()  # the guard's message
    assert TemplateVersion.objects.get(template=template).status == "PENDING_APPROVAL"
    approver, _user = signed_in(R.COMPLIANCE)
    page = approver.get(url("detail", template.pk)).content.decode()
    assert 'data-testid="move-approve"' in page and 'data-testid="move-reject"' in page
    assert approver.post(url("action", template.pk, 1, "approve")).status_code == 303
    assert TemplateVersion.objects.get(template=template).status == "APPROVED"


def test_preview_uses_samples_or_a_visible_customer_masked(signed_in, branch_a, branch_b, system):
    client, user = signed_in(R.SUPERVISOR, branches=[branch_a])
    template = whatsapp_receipt(_marketer(signed_in))
    page = client.get(url("preview", template.pk, 1)).content.decode()
    assert "Halo {{1}}, pengaduan {{2}} diterima." in page
    assert "CMP-2026-000123" in page and "Siti" in page
    mine = customer_create(
        actor=system, data=CustomerInput(full_name="Rahmat Hidayat", home_branch=branch_a)
    )
    other = customer_create(
        actor=system, data=CustomerInput(full_name="Dewi Sartika", home_branch=branch_b)
    )
    page = client.get(f"{url('preview', template.pk, 1)}?customer={mine.pk}").content.decode()
    assert "R***" in page and "Rahmat" not in page
    response = client.get(f"{url('preview', template.pk, 1)}?customer={other.pk}")
    assert response.status_code == 404  # out of scope looks like missing
    assert client.get(f"{url('preview', template.pk, 1)}?customer=nope").status_code == 400


def _marketer(signed_in):
    _client, user = signed_in(R.MARKETING)
    return user


def test_the_menu_shows_templates_to_those_who_may_see_them(signed_in):
    marketing, _user = signed_in(R.MARKETING)
    agent, _user = signed_in(R.AGENT)
    assert url("list") in marketing.get("/").content.decode()
    assert url("list") not in agent.get("/").content.decode()


def test_a_new_version_after_approval_keeps_the_approved_one_in_use(marketer_client, signed_in):
    client, author = marketer_client
    template = whatsapp_receipt(author)
    version = template.versions.get()
    ts.template_version_submit(actor=author, version=version)
    ts.template_version_approve(actor=author, version=version)
    response = client.post(
        url("save", template.pk), {"text": "Pengaduan {{case.case_no}} sedang diproses."}
    )
    assert response.status_code == 303
    page = client.get(url("list")).content.decode()
    assert "v2" in page and "v1" in page


def test_the_authors_html_never_runs_in_our_pages(marketer_client):
    client, user = marketer_client
    template = offer_email(user, html="<p>{{promo.code}}</p><script>alert(1)</script>")
    page = client.get(url("preview", template.pk, 1)).content.decode()
    assert "<script>alert(1)" not in page
    assert 'sandbox=""' in page and "&lt;script&gt;alert(1)" in page
