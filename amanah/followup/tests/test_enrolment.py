"""Who enters the desk: by rule (the enrolment job: new savings accounts without a first deposit,
dormant customers — set-based, batched, idempotent) and by import (``member_import``, the API
``POST /api/v1/followup/members``, idempotent by the sender's reference); who may join at all
(``joining``: one rule, two forms that agree); and do-not-contact letting a member go."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.consent.services import consent_change, suppression_add
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer
from amanah.followup import services
from amanah.followup.enrolment import RULES, candidates, configured_rules, enrolment_run
from amanah.followup.joining import join_refusal, joinable
from amanah.followup.models import Member, Rotation
from amanah.insight.services import TransactionInput, transactions_record
from amanah.integrations.testing import make_system

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]
VERIFIED = {"channel": "CALL_CENTER", "verification_method": "PHONE_OTP"}
RULES_ON = {
    "NEW_ACCOUNT": {"days": 30, "target": "100000"},
    "DORMANT": {"days": 180, "target": "250000"},
}
URL = "/api/v1/followup/members"


@pytest.fixture
def rules_on(settings):
    settings.FOLLOWUP_ENROL_RULES = RULES_ON


@pytest.fixture
def savings(make_customer):
    def make(name, *, days_old=2, **fields):
        customer = make_customer(name, products={"has_savings": True}, **fields)
        Customer.objects.filter(pk=customer.pk).update(
            created_at=timezone.now() - timedelta(days=days_old)
        )
        customer.refresh_from_db()
        return customer

    return make


def _booked(system, customer, days_ago, ref):
    transactions_record(
        actor=system,
        rows=[
            TransactionInput(
                customer_id=customer.pk,
                booked_on=timezone.localdate() - timedelta(days=days_ago),
                amount=50000,
                channel="TELLER",
                reference=ref,
            )
        ],
    )


def _marketing(system, customer, status):
    consent_change(
        actor=system, customer=customer, consent_type="MARKETING", new_status=status,
        reason="permintaan nasabah", **VERIFIED,
    )  # fmt: skip


@pytest.fixture
def population(savings, make_customer, system, enrol):
    """One customer per case the rules and the join rule must tell apart."""
    people = {
        "new": savings("Baru Belum Setor"),
        "new, transacted": savings("Baru Sudah Transaksi"),
        "new, no savings": make_customer("Baru Tanpa Tabungan"),
        "new, closed": savings("Baru Tutup", status="CLOSED"),
        "new, withdrawn": savings("Baru Tarik Persetujuan"),
        "new, do not contact": savings("Baru Jangan Dihubungi"),
        "new, on the desk": savings("Baru Sudah Member"),
        "dormant": savings("Dorman Lama", days_old=400),
        "dormant, never transacted": savings("Dorman Tanpa Transaksi", days_old=400),
        "old, active": savings("Lama Aktif", days_old=400),
    }
    _booked(system, people["new, transacted"], 1, "TX-NEW")
    _booked(system, people["dormant"], 300, "TX-DORMANT")
    _booked(system, people["old, active"], 10, "TX-ACTIVE")
    _marketing(system, people["new, withdrawn"], "GRANTED")
    _marketing(system, people["new, withdrawn"], "WITHDRAWN")
    suppression_add(actor=system, customer=people["new, do not contact"], reason="minta berhenti")
    people["member"] = enrol(people["new, on the desk"], at=timezone.now())
    return people


def _members(entry_reason):
    members = Member.objects.filter(entry_reason=entry_reason)
    return set(members.values_list("customer__full_name", flat=True))


def test_the_rules_enrol_new_accounts_and_dormant_customers_once(rules_on, make_desk, population):
    agents = make_desk(3)
    now = timezone.now()
    first = enrolment_run(now=now)
    assert first == {
        "NEW_ACCOUNT": {"enrolled": 1, "assigned": 1},
        "DORMANT": {"enrolled": 2, "assigned": 2},
    }
    assert _members("NEW_ACCOUNT") == {"Baru Belum Setor", "Baru Sudah Member"}
    assert _members("DORMANT") == {"Dorman Lama", "Dorman Tanpa Transaksi"}
    assert Member.objects.get(customer=population["dormant"]).deposit_target == 250000
    # Each through the desk's path: a NEW_MEMBER history row to the next agent in order (the
    # fixture's member, enrolled before the desk had agents, waits for the sweep), an
    # enrolment and a rotation audit row.
    assert population["member"].status == "PENDING"
    enrolled = Member.objects.exclude(pk=population["member"].pk).order_by("pk")
    assert [m.current_agent_id for m in enrolled] == [a.pk for a in agents]
    for member in enrolled:
        assert member.last_rotation.reason == "NEW_MEMBER"
        audits = AuditLog.objects.filter(object_id=str(member.pk))
        assert sorted(audits.values_list("action", flat=True)) == [
            "ENROL_FOLLOWUP_MEMBER", "ROTATE_FOLLOWUP_MEMBER",
        ]  # fmt: skip
    # Idempotent: the second run finds nobody new.
    assert enrolment_run(now=now + timedelta(minutes=5)) == {
        "NEW_ACCOUNT": {"enrolled": 0, "assigned": 0},
        "DORMANT": {"enrolled": 0, "assigned": 0},
    }
    assert Member.objects.count() == 4 and Rotation.objects.count() == 3


def test_small_batches_and_a_full_desk_give_the_same_members_the_rest_wait(
    rules_on, make_desk, savings
):
    make_desk(2, capacity=2)
    people = [savings(f"Baru {n}") for n in range(7)]
    result = enrolment_run(now=timezone.now(), batch=2)
    assert result["NEW_ACCOUNT"] == {"enrolled": 7, "assigned": 4}
    assert set(Member.objects.values_list("customer_id", flat=True)) == {p.pk for p in people}
    assert Member.objects.filter(status="PENDING").count() == 3
    assert enrolment_run(now=timezone.now(), batch=2)["NEW_ACCOUNT"]["enrolled"] == 0


def test_a_member_who_made_a_deposit_is_not_picked_again(rules_on, make_desk, savings, system):
    make_desk(1)
    customer = savings("Baru Setor")
    enrolment_run(now=timezone.now())
    member = Member.objects.get(customer=customer)
    services.deposit_record(
        actor=system, customer_ref=str(customer.pk), amount="100000",
        deposited_at=timezone.now(), external_ref="CBS-9",
    )  # fmt: skip
    member.refresh_from_db()
    assert member.status == "DONE"
    assert enrolment_run(now=timezone.now())["NEW_ACCOUNT"]["enrolled"] == 0


def test_no_rule_on_is_a_run_that_does_nothing_and_bad_settings_stop_it(
    settings, make_desk, savings
):
    make_desk(1)
    savings("Baru")
    assert configured_rules() == [] and enrolment_run() == {}
    assert not Member.objects.exists()
    for bad in (
        {"SOMETHING": {"days": 3}},
        {"NEW_ACCOUNT": {"days": -1}},
        {"NEW_ACCOUNT": {"days": "30"}},
        {"NEW_ACCOUNT": {"days": 99999}},
        {"NEW_ACCOUNT": {"days": 30, "target": "0"}},
        {"NEW_ACCOUNT": {"days": 30, "target": "lots"}},
    ):
        settings.FOLLOWUP_ENROL_RULES = bad
        with pytest.raises(ImproperlyConfigured):
            enrolment_run()
    assert not Member.objects.exists()


def test_who_may_join_one_rule_two_forms_that_agree(population):
    people = [c for k, c in population.items() if k != "member"]
    refusals = {c.full_name: join_refusal(c) for c in people}
    assert refusals["Baru Tutup"] == "customer_closed"
    assert refusals["Baru Tarik Persetujuan"] == "consent_withdrawn"
    assert refusals["Baru Jangan Dihubungi"] == "do_not_contact"
    set_form = set(
        joinable(Customer.objects.filter(pk__in=[c.pk for c in people])).values_list(
            "full_name", flat=True
        )
    )
    assert set_form == {name for name, code in refusals.items() if not code}
    # And the rules' candidates are the join rule's (less those on the desk).
    now = timezone.now()
    picked = set(candidates(RULES["NEW_ACCOUNT"], 30, now).values_list("full_name", flat=True))
    assert picked == {"Baru Belum Setor"}


def test_enrolment_refuses_do_not_contact(make_desk, savings, system, enrol):
    make_desk(1)
    customer = savings("Jangan Dihubungi")
    suppression_add(actor=system, customer=customer, reason="minta berhenti")
    with pytest.raises(ServiceError) as refused:
        enrol(customer)
    assert refused.value.code == "do_not_contact"
    assert not Member.objects.exists()


def test_do_not_contact_lets_the_member_go(make_desk, make_customer, enrol, system):
    agents = make_desk(2)
    member = enrol(make_customer())
    suppression_add(actor=system, customer=member.customer, reason="minta tidak dihubungi")
    member.refresh_from_db()
    assert (member.status, member.exit_reason, member.current_agent_id) == (
        "DONE", "DO_NOT_CONTACT", None,
    )  # fmt: skip
    assert member.last_rotation.reason == "MEMBER_DONE"
    assert member.last_rotation.from_agent_id == agents[0].pk
    exit_row = AuditLog.objects.get(action="EXIT_FOLLOWUP_MEMBER", object_id=str(member.pk))
    assert exit_row.meta == {"reason": "DO_NOT_CONTACT", "from_status": "ACTIVE"}


# --------------------------------------------------------------------------- the import API


@pytest.fixture
def raw():
    return make_system(
        "core-banking",
        permissions=["followdesk.member.enrol", "customer.view", "customer.view.branch"],
        all_branches=True,
    )[2]


def post(raw, body, *, as_json=True):
    data = json.dumps(body) if as_json else body
    return Client().post(
        URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )


def test_the_api_enrols_once_per_reference(raw, make_desk, savings):
    agents = make_desk(2)
    customer = savings("Impor Satu")
    body = {"customer_id": str(customer.pk), "external_ref": "IMP-1", "deposit_target": "50000"}
    first = post(raw, body)
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["status"] == "ENROLLED" and answer["member_status"] == "ACTIVE"
    assert answer["agent_position"] == agents[0].position
    member = Member.objects.get()
    assert (member.entry_reason, member.external_ref) == ("IMPORT", "IMP-1")
    again = post(raw, body)
    assert again.status_code == 200 and again.json()["status"] == "DUPLICATE"
    assert again.json()["member_id"] == answer["member_id"]
    assert Member.objects.count() == 1 and Rotation.objects.count() == 1
    # The same customer under another reference: already on the desk.
    other_ref = post(raw, {**body, "external_ref": "IMP-2"})
    assert other_ref.status_code == 400 and other_ref.json()["code"] == "already_member"
    # The same reference for someone else: refused, nothing written.
    other = savings("Impor Dua")
    clash = post(raw, {**body, "customer_id": str(other.pk)})
    assert clash.status_code == 400 and clash.json()["code"] == "reference_conflict"
    assert Member.objects.count() == 1


def test_the_api_refuses_bad_input_with_its_code_and_writes_nothing(
    raw, make_desk, savings, system
):
    make_desk(1)
    customer = savings("Impor Salah")
    closed = savings("Impor Tutup", status="CLOSED")
    quiet = savings("Impor Diam")
    suppression_add(actor=system, customer=quiet, reason="minta berhenti")
    good = {"customer_id": str(customer.pk), "external_ref": "IMP-9", "deposit_target": "50000"}
    cases = [
        ({**good, "customer_id": "nobody"}, 404, "not_found"),
        ({**good, "customer_id": "6f1c1f6e-0000-4000-8000-000000000000"}, 404, "not_found"),
        ({**good, "customer_id": str(closed.pk)}, 400, "customer_closed"),
        ({**good, "customer_id": str(quiet.pk)}, 400, "do_not_contact"),
        ({**good, "deposit_target": "0"}, 400, "target_invalid"),
        # the amount's form and sign are the API type's (core.money), its range the service's
        ({**good, "deposit_target": "-5"}, 422, "rupiah_invalid"),
        ({**good, "deposit_target": "1e30"}, 422, "rupiah_invalid"),
        ({**good, "deposit_target": "1,500"}, 422, "rupiah_invalid"),
        ({**good, "deposit_target": "999.999.999.999.999"}, 400, "target_invalid"),
        ({**good, "deposit_target": "lots"}, 422, None),
        ({**good, "entry_reason": "VIP"}, 400, "entry_reason_invalid"),
        ({**good, "external_ref": ""}, 400, "reference_invalid"),
        ({**good, "external_ref": "x" * 65}, 422, None),
        ({**good, "external_ref": "IMP\x00"}, None, None),
        ({**good, "external_ref": 12}, 422, None),
        ({"customer_id": str(customer.pk)}, 422, None),
    ]
    for body, status, code in cases:
        response = post(raw, body)
        assert response.status_code < 500, body
        if status:
            assert response.status_code == status, (body, response.content)
        else:
            assert response.status_code in (400, 422), body
        if code:
            assert response.json()["code"] == code, body
    assert post(raw, "{not json", as_json=False).status_code in (400, 422)
    assert not Member.objects.exists()


def test_the_api_needs_the_enrol_permission(make_desk, savings):
    make_desk(1)
    customer = savings("Impor Tanpa Izin")
    raw = make_system("feed", permissions=["customer.view", "customer.view.branch"])[2]
    body = {"customer_id": str(customer.pk), "external_ref": "IMP-3", "deposit_target": "5000"}
    assert post(raw, body).status_code == 403
    assert not Member.objects.exists()
