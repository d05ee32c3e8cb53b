from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.consent.models import ConsentRecord, ConsentType
from amanah.consent.services import consent_change
from amanah.core import registry
from amanah.core.contributions import TimelineEvent, TimelineProvider
from amanah.core.errors import NotFound
from amanah.core.roles import RoleKey as R
from amanah.customer360.forms import TimelineFilterForm, timeline_filter_fields
from amanah.customer360.selectors import customer_360
from amanah.customers.services import CustomerInput, customer_create

NIK = "1271012304850003"


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Hj. Siti Aminah Nasution",
            home_branch=branch_a,
            phone="081370002002",
            email="siti.aminah@mail.co.id",
            nik=NIK,
            cif="CIF777123",
            gender="M",
            is_vip=True,
            products={"has_savings": True},
        ),
    )


def withdraw(actor, customer, when=None):
    consent_change(
        actor=actor,
        customer=customer,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
        effective_at=(when - timedelta(days=1)) if when else None,
    )
    consent_change(
        actor=actor,
        customer=customer,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="CALL_CENTER",
        verification_method="PHONE_OTP",
        effective_at=when,
    )


def test_page_shows_header_cards_alerts_and_masks_everything(signed_in, customer, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    withdraw(agent, customer)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Hj. Siti Aminah Nasution" in page and "VIP" in page
    for raw in (NIK, "081370002002", "+6281370002002", "siti.aminah@mail.co.id", "CIF777123"):
        assert raw not in page
    assert "************0003" in page and "+62 813-****-002" in page and "s***@mail.co.id" in page
    assert 'data-alert="CONSENT_WITHDRAWN"' in page and 'data-alert="VIP_CUSTOMER"' in page
    assert "Ringkasan 30 detik" in page
    assert "Buka" not in page.split("Data dasar")[1].split("Produk")[0]  # agents cannot reveal


def test_consent_withdrawn_alert_comes_first(customer, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    withdraw(agent, customer)
    view = customer_360(actor=agent, customer_id=customer.pk)
    assert view.alerts[0].code == "CONSENT_WITHDRAWN" and view.marketing_blocked


def test_every_open_is_audited_as_view_profile(signed_in, customer, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    client.get(f"/customers/{customer.pk}/")
    client.get(f"/customers/{customer.pk}/")
    opens = AuditLog.objects.filter(action="VIEW_PROFILE", object_id=str(customer.pk))
    assert opens.count() == 2 and opens.first().actor_username == agent.username


def test_out_of_scope_and_missing_look_the_same(customer, make_user, branch_b):
    import uuid

    other = make_user(R.AGENT, branches=[branch_b])
    for target in (customer.pk, uuid.uuid4()):
        with pytest.raises(NotFound):
            customer_360(actor=other, customer_id=target)
    assert not AuditLog.objects.filter(action="VIEW_PROFILE").exists()


def test_supervisor_reveals_one_field_with_a_reason(customer, make_user, branch_a):
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "081370002002" not in page and "reveal/phone/" in page
    refused = client.post(f"/customers/{customer.pk}/reveal/phone/", {"reason": "x"})
    assert "+6281370002002" not in refused.content.decode()
    shown = client.post(
        f"/customers/{customer.pk}/reveal/phone/", {"reason": "konfirmasi nomor pengaduan"}
    )
    assert "+6281370002002" in shown.content.decode()
    nik = client.post(
        f"/customers/{customer.pk}/reveal/nik/", {"reason": "verifikasi identitas di teller"}
    )
    assert NIK in nik.content.decode()
    reveals = AuditLog.objects.filter(action="REVEAL_FIELD").order_by("id")
    assert [e.meta["field"] for e in reveals] == ["phone_e164", "id_value"]
    assert all(NIK not in str(e.meta) and "0813" not in str(e.meta) for e in reveals)


def test_agent_cannot_reveal(signed_in, customer, branch_a):
    client, _ = signed_in(R.AGENT, branches=[branch_a])
    response = client.post(
        f"/customers/{customer.pk}/reveal/phone/", {"reason": "ingin tahu saja ya"}
    )
    assert response.status_code == 403


def test_timeline_filters_by_type_and_date(signed_in, customer, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    withdraw(agent, customer, when=timezone.now() - timedelta(days=10))
    url = f"/customers/{customer.pk}/timeline/"
    assert client.get(url).content.decode().count('data-kind="CONSENT"') == 2
    assert 'data-kind="CONSENT"' not in client.get(url, {"kind": "CASE"}).content.decode()
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    only_withdrawal = client.get(url, {"since": day, "until": day}).content.decode()
    assert only_withdrawal.count('data-kind="CONSENT"') == 1 and "Ditarik" in only_withdrawal
    bad = client.get(url, {"since": "bukan-tanggal"})
    assert bad.status_code == 200


def test_the_filter_is_written_once_per_language_and_shows_what_was_chosen():
    fresh = str(TimelineFilterForm()["kind"])
    blank = timeline_filter_fields(TimelineFilterForm())
    assert blank.startswith(fresh) and blank == timeline_filter_fields(TimelineFilterForm())
    assert "checked" not in blank
    chosen = timeline_filter_fields(TimelineFilterForm({"kind": ["CASE"], "since": "2026-01-02"}))
    assert 'value="CASE"' in chosen and "checked" in chosen and 'value="2026-01-02"' in chosen
    with translation.override("en"):
        english = timeline_filter_fields(TimelineFilterForm())
    label = str(registry.timeline_kinds.get("CONSENT").label)
    with translation.override("en"):
        assert str(registry.timeline_kinds.get("CONSENT").label) in english
    assert label in blank


@pytest.fixture
def sensitive_provider():
    def provider(customer, *, actor, since=None, until=None, limit=50):
        return [
            TimelineEvent(at=timezone.now(), kind="CASE", title="Laporan penipuan", sensitive=True),
            TimelineEvent(at=timezone.now(), kind="CASE", title="Kartu tertelan"),
        ]

    with registry.timeline_providers.temporarily(
        "test.sensitive", TimelineProvider("CASE", provider)
    ):
        yield


def test_sensitive_events_are_hidden_from_roles_without_the_permission(
    sensitive_provider, customer, make_user, branch_a
):
    agent_view = customer_360(
        actor=make_user(R.AGENT, branches=[branch_a]), customer_id=customer.pk
    )
    supervisor_view = customer_360(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]), customer_id=customer.pk
    )
    assert [e.title for e in agent_view.events] == ["Kartu tertelan"]
    assert {e.title for e in supervisor_view.events} == {"Laporan penipuan", "Kartu tertelan"}


def test_the_page_makes_a_constant_number_of_queries(signed_in, customer, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    url = f"/customers/{customer.pk}/"
    client.get(url)  # warm up session/permission caches the same way for both runs
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(15):
        withdraw(agent, customer)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    # 30 + insight's value card (one scoped read) + its NBA panel (a fixed set of reads)
    # + the menu's unread-notifications badge (one capped count on the inbox index)
    # + its service-recovery timeline lines (one scoped read)
    # + field visits: the open work order, the promise ahead and the visit lines (three)
    # + the water connection card (one scoped read; its arrears only when there is one)
    # - three reads the NBA shares with the page (RFM scores, open cases, consent states:
    #   core.reads, one read per fact and 360 view)
    assert len(many) == len(few) <= 34


def test_quick_actions_follow_the_role(customer, make_user, branch_a):
    agent_view = customer_360(
        actor=make_user(R.AGENT, branches=[branch_a]), customer_id=customer.pk
    )
    rm = make_user(R.RM, branches=[branch_a])
    from amanah.customers.services import portfolio_assign

    portfolio_assign(actor=make_user(R.SUPERVISOR, branches=[branch_a]), customer=customer, rm=rm)
    rm_view = customer_360(actor=rm, customer_id=customer.pk)
    assert [label for label, _url in agent_view.actions] == [
        "Catat perubahan persetujuan",
        "Buat kasus",
        "Dokumen",
        "Buat lead",
        "Koreksi data (UU PDP)",
    ]
    assert [label for label, _url in rm_view.actions] == [
        "Dokumen",
        "Catat aktivitas",
        "Buat lead",
        "Koreksi data (UU PDP)",
    ]


def test_relations_are_shown_both_ways(customer, make_user, system, branch_a):
    from amanah.customers.services import relation_add

    spouse = customer_create(
        actor=system, data=CustomerInput(full_name="Budi Nasution", home_branch=branch_a)
    )
    relation_add(
        actor=system, customer=customer, other=spouse, relation_type="FAMILY", label="Suami"
    )
    agent = make_user(R.AGENT, branches=[branch_a])
    assert [r["other"] for r in customer_360(actor=agent, customer_id=spouse.pk).relations] == [
        customer
    ]
    assert customer_360(actor=agent, customer_id=customer.pk).relations[0]["label"] == "Suami"


def test_a_related_customer_out_of_scope_is_not_named(customer, signed_in, system, branch_b):
    from amanah.customers.services import relation_add

    company = customer_create(
        actor=system, data=CustomerInput(full_name="PT Sawit Jauh Sekali", home_branch=branch_b)
    )
    relation_add(actor=system, customer=customer, other=company, relation_type="COMPANY")
    client, agent = signed_in(R.AGENT, branches=[customer.home_branch])
    assert customer_360(actor=agent, customer_id=customer.pk).relations[0]["other"] is None
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "PT Sawit Jauh Sekali" not in page and str(company.pk) not in page


def test_the_consent_form_preselects_no_status_and_requires_one(signed_in, customer, branch_a):
    client, _agent = signed_in(R.AGENT, branches=[branch_a])
    page = client.get(f"/customers/{customer.pk}/?tab=marketing").content.decode()
    select = page.split('name="new_status"')[1].split("</select>")[0]
    assert '<option value="" selected>' in select
    assert 'value="GRANTED" selected' not in select and 'value="WITHDRAWN" selected' not in select
    posted = {"consent_type": "MARKETING", "channel": "BRANCH", "verification_method": "IN_PERSON"}
    for status in (None, ""):
        data = posted if status is None else {**posted, "new_status": status}
        response = client.post(f"/customers/{customer.pk}/consent/", data)
        assert response.status_code == 303
    assert not AuditLog.objects.filter(action="CHANGE_CONSENT").exists()
    assert not ConsentRecord.objects.filter(customer=customer).exists()


def test_codes_are_shown_by_their_labels(signed_in, customer, branch_a):
    """Issue 16: the header's role, the consent types and the timeline kinds are labels."""
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    withdraw(agent, customer)
    type(customer).objects.filter(pk=customer.pk).update(segment_code="PRIORITY")
    page = client.get(f"/customers/{customer.pk}/?tab=marketing").content.decode()
    assert '<span class="badge" title="PRIORITY">Prioritas</span>' in page
    header = page.split('data-testid="who"')[1].split("</a>")[0]
    assert str(R.AGENT.label) in header and "AGENT" not in header
    badges = page.split('data-testid="consent-badges"')[1].split("</div>")[0]
    for code, label in ConsentType.choices:
        assert f"{label}:" in badges and f">{code}:" not in badges
    assert "<td>THIRDPARTY_SHARE</td>" not in page
    assert f"<td>{ConsentType.THIRDPARTY_SHARE.label}</td>" in page
    timeline = client.get(f"/customers/{customer.pk}/timeline/").content.decode()
    badge = timeline.split('data-kind="CONSENT"')[1].split('<span class="badge">')[1]
    assert badge.split("</span>")[0] == str(registry.timeline_kinds.get("CONSENT").label)
    assert badge.split("</span>")[0] != "CONSENT"
