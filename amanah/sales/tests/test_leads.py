import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils.html import escape

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.actors import SystemActor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customer360 import timeline
from amanah.iam import services as iam
from amanah.notifications.models import Notification
from amanah.sales import services
from amanah.sales.models import Lead, RmActivity
from amanah.sales.tests.conftest import set_marketing


def audit_actions(obj):
    return list(
        AuditLog.objects.filter(object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def token_for(user, role):
    raw = iam.api_token_create(actor=SystemActor("t"), user=user, role=role, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# ------------------------------------------------------------------ auto-assignment (US-16 AC-2)


def test_portfolio_rm_gets_the_lead_audited_and_notified(
    make_customer, rm, rm2, agent, in_portfolio
):
    customer = in_portfolio(make_customer(), rm2)  # rm2 has the portfolio although rm has fewer
    lead = services.lead_create(
        actor=agent, customer=customer, source_type="MANUAL", product_interest="KPR Sumut"
    )
    assert (lead.assigned_to, lead.assignment_rule, lead.status) == (rm2, "PORTFOLIO", "NEW")
    assert audit_actions(lead) == ["CREATE_LEAD"]
    meta = AuditLog.objects.get(object_id=str(lead.pk)).meta
    assert meta["rule"] == "PORTFOLIO" and meta["assigned_to"] == "rm_lina"
    note = Notification.objects.get(user=rm2)
    assert customer.full_name in note.title and note.url.endswith(f"/sales/leads/{lead.pk}/")


def test_branch_rule_picks_the_branch_rm_with_fewest_open_leads(
    make_customer, make_user, rm, rm2, agent, branch_a, branch_b
):
    # Not candidates: an RM of another branch, a head-office RM (bank-wide scope), a disabled RM.
    make_user(R.RM, branches=[branch_b], username="rm_pms")
    make_user(R.RM, username="rm_pusat")
    disabled = make_user(R.RM, branches=[branch_a], username="rm_aaa")
    type(disabled).objects.filter(pk=disabled.pk).update(is_active=False)
    first = services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    assert (first.assigned_to, first.assignment_rule) == (rm, "BRANCH")  # tie → by username
    second = services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    assert second.assigned_to == rm2  # rm now holds one open lead
    services.lead_move(actor=rm, lead=first, to_status="CLOSED_LOST", reason="tidak berminat")
    services.lead_move(actor=rm2, lead=second, to_status="CONTACTED")
    third = services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    assert third.assigned_to == rm  # closed leads do not count as load


def test_no_rm_for_the_branch_is_refused_and_nothing_is_created(make_customer, agent):
    with pytest.raises(ServiceError) as refused:
        services.lead_create(actor=agent, customer=make_customer(), source_type="MANUAL")
    assert refused.value.code == "no_rm" and "RM" in refused.value.message
    assert not Lead.objects.exists() and not AuditLog.objects.filter(action="CREATE_LEAD")


# ------------------------------------------------------------------ who may create


def test_marketing_creates_campaign_leads_only_for_consenting_customers(
    make_customer, marketing, rm, system
):
    campaign = uuid.uuid4()
    withdrawn = make_customer("Ahmad Fauzi Lubis", marketing="WITHDRAWN")
    never_asked = make_customer("Rina Lubis")
    for customer in (withdrawn, never_asked):
        with pytest.raises(ServiceError) as refused:
            services.lead_create(
                actor=marketing, customer=customer, source_type="CAMPAIGN", source_id=campaign
            )
        assert refused.value.code == "not_eligible"
    granted = make_customer(marketing="GRANTED")
    with pytest.raises(ServiceError) as refused:
        services.lead_create(actor=marketing, customer=granted, source_type="MANUAL")
    assert refused.value.code == "source_invalid"
    lead = services.lead_create(
        actor=marketing,
        customer=granted,
        source_type="CAMPAIGN",
        source_id=campaign,
        product_interest="Tabungan Martabe",
        note="Ibu ini baru cerai dan butuh dana",  # detail marketing must not hand over
    )
    assert (lead.source_type, lead.source_id, lead.assigned_to) == ("CAMPAIGN", campaign, rm)
    assert lead.note == "" and AuditLog.objects.get(action="CREATE_LEAD").meta["note_dropped"]
    with pytest.raises(ServiceError) as twice:
        services.lead_create(
            actor=marketing, customer=granted, source_type="CAMPAIGN", source_id=campaign
        )
    assert twice.value.code == "lead_exists" and Lead.objects.count() == 1
    # Marketing has no lead list at all: aggregates only, in its own campaign report.
    assert not Lead.objects.visible_to(marketing).exists()


def test_marketing_cannot_hand_over_a_customer_with_an_open_fraud_case(
    make_customer, marketing, rm, system
):
    from amanah.cases import services as cases

    customer = make_customer(marketing="GRANTED")
    cases.case_create(
        actor=system,
        data=cases.CaseInput(
            customer=customer,
            channel="CALL_CENTER",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Ditelepon mengaku petugas bank, diminta OTP.",
        ),
    )
    with pytest.raises(ServiceError) as refused:
        services.lead_create(
            actor=marketing, customer=customer, source_type="CAMPAIGN", source_id=uuid.uuid4()
        )
    assert refused.value.code == "case_active"


def test_staff_create_leads_only_for_customers_in_their_scope(
    make_customer, make_user, rm, branch_b
):
    outsider = make_user(R.AGENT, branches=[branch_b])
    with pytest.raises(NotFound):
        services.lead_create(actor=outsider, customer=make_customer(), source_type="MANUAL")
    director = make_user(R.DIRECTOR)
    with pytest.raises(PermissionDenied):
        services.lead_create(actor=director, customer=make_customer(), source_type="MANUAL")
    assert not Lead.objects.exists()


def test_bad_source_input_changes_nothing(make_customer, agent, rm):
    customer = make_customer()
    for source_type, source_id, code in [
        ("WALK_IN", None, "source_invalid"),
        ("CAMPAIGN", None, "source_id_required"),
        ("CAMPAIGN", "bukan-uuid", "source_invalid"),
    ]:
        with pytest.raises(ServiceError) as refused:
            services.lead_create(
                actor=agent, customer=customer, source_type=source_type, source_id=source_id
            )
        assert refused.value.code == code
    with pytest.raises(ServiceError):
        services.lead_create(
            actor=agent, customer=customer, source_type="MANUAL", product_interest="x" * 121
        )
    assert not Lead.objects.exists()


# ------------------------------------------------------------------ scope (US-16 AC-3)


@pytest.fixture
def two_leads(make_customer, agent, rm, rm2, in_portfolio):
    mine = services.lead_create(
        actor=agent, customer=in_portfolio(make_customer("Siti"), rm), source_type="MANUAL"
    )
    theirs = services.lead_create(
        actor=agent, customer=in_portfolio(make_customer("Budi"), rm2), source_type="MANUAL"
    )
    return mine, theirs


def test_an_rm_sees_only_own_leads_by_page_and_api(two_leads, rm):
    mine, theirs = two_leads
    client = sign_in(Client(), rm)
    board = client.get("/sales/leads/").content.decode()
    assert str(mine.pk) in board and str(theirs.pk) not in board
    assert client.get(f"/sales/leads/{mine.pk}/").status_code == 200
    assert client.get(f"/sales/leads/{theirs.pk}/").status_code == 404
    assert client.get(f"/sales/leads/{uuid.uuid4()}/").status_code == 404
    moved = client.post(f"/sales/leads/{theirs.pk}/move/", {"to_status": "CONTACTED"})
    assert moved.status_code == 404 and Lead.objects.get(pk=theirs.pk).status == "NEW"

    api = Client()
    headers = token_for(rm, "RM")
    listed = api.get("/api/v1/sales/leads", **headers).json()
    assert [row["id"] for row in listed] == [str(mine.pk)]
    assert api.get(f"/api/v1/sales/leads/{theirs.pk}", **headers).status_code == 404
    api_move = api.post(
        f"/api/v1/sales/leads/{theirs.pk}/move",
        {"to_status": "CONTACTED"},
        content_type="application/json",
        **headers,
    )
    assert api_move.status_code == 404
    with pytest.raises(NotFound):
        services.lead_move(actor=rm, lead=theirs, to_status="CONTACTED")


def test_a_supervisor_sees_the_leads_of_the_branch(two_leads, supervisor, make_user, branch_b):
    assert set(Lead.objects.visible_to(supervisor)) == set(two_leads)
    elsewhere = make_user(R.SUPERVISOR, branches=[branch_b])
    assert not Lead.objects.visible_to(elsewhere).exists()


# ------------------------------------------------------------------ the board


def test_moves_go_forward_closing_needs_a_reason_and_is_final(two_leads, rm):
    lead, _ = two_leads
    with pytest.raises(ServiceError) as backwards:
        services.lead_move(actor=rm, lead=lead, to_status="NEW")
    assert backwards.value.code == "transition_not_allowed"
    lead = services.lead_move(actor=rm, lead=lead, to_status="QUALIFIED")  # skipping is forward
    # The workflow engine's codes: a missing reason, then one too short for the guard.
    for reason, code in (("", "field_required"), ("   ", "field_required"), ("ok", "guard_failed")):
        with pytest.raises(ServiceError) as refused:
            services.lead_move(actor=rm, lead=lead, to_status="CLOSED_WON", reason=reason)
        assert (refused.value.code, refused.value.field) == (code, "reason")
    assert Lead.objects.get(pk=lead.pk).status == "QUALIFIED"
    lead = services.lead_move(
        actor=rm, lead=lead, to_status="CLOSED_WON", reason="Buka deposito 50 juta"
    )
    assert lead.closed_at and lead.closed_reason == "Buka deposito 50 juta"
    with pytest.raises(ServiceError) as final:
        services.lead_move(actor=rm, lead=lead, to_status="CLOSED_LOST", reason="berubah pikiran")
    assert final.value.code == "transition_not_allowed"
    assert audit_actions(lead) == ["CREATE_LEAD", "UPDATE_LEAD", "CLOSE_LEAD"]
    assert "reason" not in AuditLog.objects.get(action="CLOSE_LEAD").meta  # free text stays out


def test_the_database_refuses_a_closed_lead_without_reason(two_leads):
    lead, _ = two_leads
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(status="CLOSED_LOST")


def test_board_moves_by_form_without_js_and_by_fetch(two_leads, rm):
    lead, _ = two_leads
    client = sign_in(Client(), rm)
    page = client.get("/sales/leads/").content.decode()
    assert 'data-status="NEW"' in page and "vendor/sortable.min.js" in page
    assert f'action="/sales/leads/{lead.pk}/move/"' in page  # the non-drag control
    done = client.post(f"/sales/leads/{lead.pk}/move/", {"to_status": "CONTACTED"})
    assert done.status_code == 303 and Lead.objects.get(pk=lead.pk).status == "CONTACTED"
    as_json = {"HTTP_ACCEPT": "application/json"}
    refused = client.post(f"/sales/leads/{lead.pk}/move/", {"to_status": "CLOSED_LOST"}, **as_json)
    assert refused.status_code == 400 and refused.json()["code"] == "field_required"
    moved = client.post(f"/sales/leads/{lead.pk}/move/", {"to_status": "QUALIFIED"}, **as_json)
    assert moved.json() == {
        "id": str(lead.pk),
        "status": "QUALIFIED",
        "moves": ["CLOSED_WON", "CLOSED_LOST"],
    }
    closed = client.post(
        f"/sales/leads/{lead.pk}/move/",
        {"to_status": "CLOSED_LOST", "reason": "sudah punya di bank lain", "next": "detail"},
    )
    assert closed["Location"] == f"/sales/leads/{lead.pk}/"
    assert "sudah punya di bank lain" in client.get(closed["Location"]).content.decode()


def test_board_query_count_does_not_grow_with_leads(
    make_customer, agent, rm, django_assert_max_num_queries
):
    for n in range(12):
        services.lead_create(
            actor=agent, customer=make_customer(f"Nasabah {n}"), source_type="MANUAL"
        )
    client = sign_in(Client(), rm)
    with django_assert_max_num_queries(20):
        assert client.get("/sales/leads/").status_code == 200


def test_api_move_needs_a_reason_to_close(two_leads, rm):
    lead, _ = two_leads
    headers = token_for(rm, "RM")
    url = f"/api/v1/sales/leads/{lead.pk}/move"
    refused = Client().post(
        url, {"to_status": "CLOSED_WON"}, content_type="application/json", **headers
    )
    assert refused.status_code == 400 and refused.json()["code"] == "field_required"
    ok = Client().post(
        url,
        {"to_status": "CLOSED_WON", "reason": "Aktivasi mobile banking"},
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 200 and ok.json()["status"] == "CLOSED_WON"


# ------------------------------------------------------------------ activities (US-17)


def test_activity_is_audited_on_the_360_timeline_and_rescores(
    make_customer, rm, agent, in_portfolio, system
):
    customer = in_portfolio(make_customer(), rm)
    lead = services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    assert lead.score == 0
    set_marketing(system, customer, "GRANTED")  # consent given at the branch afterwards
    activity = services.activity_log(
        actor=rm, customer=customer, activity_type="CALL", note="Menanyakan KPR", lead=lead
    )
    assert (activity.created_by, activity.lead) == (rm, lead)
    assert audit_actions(activity) == ["CREATE_ACTIVITY"]
    events = timeline.events_for(customer, actor=rm, kinds={"ACTIVITY"})
    assert [(e.kind, e.detail) for e in events] == [("ACTIVITY", "Menanyakan KPR")]
    assert Lead.objects.get(pk=lead.pk).score == 15  # recomputed on activity
    for bad_type, note, code in [
        ("VISIT", "ok ok", "activity_type_invalid"),
        ("NOTE", " ", "note_required"),
    ]:
        with pytest.raises(ServiceError) as refused:
            services.activity_log(actor=rm, customer=customer, activity_type=bad_type, note=note)
        assert refused.value.code == code
    assert RmActivity.objects.count() == 1


def test_rm_logs_on_a_branch_rule_lead_outside_the_portfolio_but_nowhere_else(
    make_customer, rm, rm2, agent
):
    customer = make_customer()
    lead = services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    assert lead.assigned_to == rm and lead.assignment_rule == "BRANCH"
    with pytest.raises(NotFound):  # not in rm's portfolio and no lead named
        services.activity_log(actor=rm, customer=customer, activity_type="NOTE", note="catatan")
    services.activity_log(
        actor=rm, customer=customer, activity_type="CALL", note="diangkat", lead=lead
    )
    with pytest.raises(NotFound):  # someone else's lead opens nothing
        services.activity_log(
            actor=rm2, customer=customer, activity_type="CALL", note="halo", lead=lead
        )
    client = sign_in(Client(), rm)
    response = client.post(
        f"/sales/activities/new/{customer.pk}/",
        {"activity_type": "MEETING", "note": "Bertemu di cabang", "lead": str(lead.pk)},
    )
    assert response.status_code == 303 and response["Location"] == f"/sales/leads/{lead.pk}/"
    assert RmActivity.objects.filter(customer=customer).count() == 2


def test_activity_api(make_customer, rm, in_portfolio, rm2):
    customer = in_portfolio(make_customer(), rm)
    headers = token_for(rm, "RM")
    created = Client().post(
        "/api/v1/sales/activities",
        {"customer_id": str(customer.pk), "activity_type": "MEETING", "note": "Kunjungan rumah"},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201 and created.json()["activity_type"] == "MEETING"
    other = Client().post(
        "/api/v1/sales/activities",
        {"customer_id": str(customer.pk), "activity_type": "CALL", "note": "x"},
        content_type="application/json",
        **token_for(rm2, "RM"),
    )
    assert other.status_code == 404
    bad = Client().post(
        "/api/v1/sales/activities",
        {"customer_id": str(customer.pk), "activity_type": "FAX", "note": "halo"},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "activity_type_invalid"


def test_merge_moves_leads_and_activities_to_the_survivor(make_customer, rm, system):
    from amanah.sales.contract import move_leads, move_sales_rows

    survivor, absorbed = make_customer("Rina Lubis"), make_customer("Rina  Lubis")
    lead = services.lead_create(actor=system, customer=absorbed, source_type="MANUAL")
    services.activity_log(actor=system, customer=absorbed, activity_type="NOTE", note="catatan")
    assert move_leads(absorbed, survivor) == 1 and move_sales_rows(absorbed, survivor) == 1
    assert Lead.objects.get(pk=lead.pk).customer == survivor


def test_a_supervisor_reopens_a_lost_lead_with_a_reason(two_leads, rm, supervisor):
    lead, _ = two_leads
    services.lead_move(actor=rm, lead=lead, to_status="CONTACTED")
    services.lead_move(actor=rm, lead=lead, to_status="CLOSED_LOST", reason="tidak berminat")
    rm_page = sign_in(Client(), rm).get(f"/sales/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-reopen-form"' not in rm_page  # reopening is the supervisor's
    client = sign_in(Client(), supervisor)
    page = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-reopen-form"' in page and 'data-testid="status-history"' in page
    with pytest.raises(ServiceError) as expected:  # the service's words, not a copy of them
        services.lead_reopen(actor=supervisor, lead=lead, reason="")
    refused = client.post(f"/sales/leads/{lead.pk}/reopen/", {"reason": ""}, follow=True)
    assert refused.redirect_chain == [(f"/sales/leads/{lead.pk}/", 303)]
    assert escape(expected.value.message) in refused.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == "CLOSED_LOST"
    done = client.post(f"/sales/leads/{lead.pk}/reopen/", {"reason": "RM salah klik di papan"})
    assert done.status_code == 303
    reopened = Lead.objects.get(pk=lead.pk)
    assert (reopened.status, reopened.closed_at) == ("CONTACTED", None)
    assert audit_actions(lead)[-1] == "REVERT_TRANSITION"
    detail = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    assert "RM salah klik di papan" in detail and 'data-testid="lead-reopen-form"' not in detail


# ------------------------------------------------------------------ refused posts say why


def test_a_refused_move_says_why_on_the_page_and_to_the_boards_fetch(two_leads, rm):
    lead, _ = two_leads
    client = sign_in(Client(), rm)
    with pytest.raises(ServiceError) as expected:  # closing needs a reason
        services.lead_move(actor=rm, lead=lead, to_status="CLOSED_LOST")
    url = f"/sales/leads/{lead.pk}/move/"
    refused = client.post(url, {"to_status": "CLOSED_LOST", "next": "detail"}, follow=True)
    assert refused.redirect_chain == [(f"/sales/leads/{lead.pk}/", 303)]
    assert escape(expected.value.message) in refused.content.decode()
    unknown = client.post(url, {"to_status": "LOST_IN_SPACE"}, follow=True)
    assert unknown.redirect_chain == [("/sales/leads/", 303)]
    assert "Pilih status tujuan yang valid." in unknown.content.decode()
    by_fetch = client.post(url, {"to_status": "LOST_IN_SPACE"}, HTTP_ACCEPT="application/json")
    assert by_fetch.status_code == 400
    assert by_fetch.json() == {
        "code": "invalid",
        "message": "Pilih status tujuan yang valid.",
        "field": None,
    }
    assert Lead.objects.get(pk=lead.pk).status == "NEW"


def test_a_refused_lead_comes_back_on_its_form_with_400(make_customer, agent):
    customer = make_customer()  # no RM covers the customer's branch
    client = sign_in(Client(), agent)
    with pytest.raises(ServiceError) as expected:
        services.lead_create(actor=agent, customer=customer, source_type="MANUAL")
    assert expected.value.code == "no_rm"
    response = client.post(f"/sales/leads/new/{customer.pk}/", {"product_interest": "KPR"})
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(expected.value.message) in page and 'data-testid="lead-form"' in page
    assert not Lead.objects.exists()


def test_an_activity_without_a_note_comes_back_with_400(make_customer, rm, in_portfolio):
    customer = in_portfolio(make_customer(), rm)
    client = sign_in(Client(), rm)
    url = f"/sales/activities/new/{customer.pk}/"
    response = client.post(url, {"activity_type": "CALL", "note": "   "})
    assert response.status_code == 400 and 'class="form-error"' in response.content.decode()
    assert not RmActivity.objects.exists()
