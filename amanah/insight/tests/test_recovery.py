"""Service recovery (seed 001 §3): each row of the trigger table fires for its case and no
other, from the case events (the sweep's breach digest, the close) and the periodic scan
(> 2× SLA); one recovery per case and trigger however often an event comes; four eyes above
the value threshold; the supervisors told; the list, the decision form (scope, hostile input),
the 360 timeline line and the metrics on a hand-computed fixture."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import translation

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.sweep import SLA_DIGEST, sla_sweep
from amanah.conftest import sign_in
from amanah.core import events, registry
from amanah.core.actors import SystemActor
from amanah.core.contributions import Ratio
from amanah.core.errors import NotFound, ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.insight.recovery import dashboard, selectors, services
from amanah.insight.recovery.models import RecoveryTrigger, ServiceRecovery
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book, closed_case
from amanah.messaging.models import Message

MINUTE = dt.timedelta(minutes=1)
SystemActorForTests = SystemActor("system:test")


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def second_supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def customer(make_customer):
    return make_customer(phone="081234567890")


@pytest.fixture(autouse=True)
def hub(db):
    """The hub's default SERVICE templates (the recovery offer among them) approved."""
    from amanah.messaging.template_defaults import templates_install_defaults

    templates_install_defaults()


@pytest.fixture
def open_case(agent, customer):
    def make(category="TRX_FAIL", person=None):
        return cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=person or customer,
                channel="BRANCH",
                category_code=category,
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
            ),
        )

    return make


@pytest.fixture
def digests(supervisor):
    """The sweep's digests as emitted (kwargs of ``cases.sla_digest``). The sweep emits one
    only when someone is to be told (the branch supervisor here); without anyone, the
    periodic scan finds the breaches (``test_a_lost_digest_is_caught_up_by_the_scan``)."""
    seen: list[dict] = []
    key = f"{SLA_DIGEST}:tests.recovery_digests"
    handler = EventHandler(SLA_DIGEST, lambda **kw: seen.append(kw))
    with registry.event_handlers.temporarily(key, handler):
        yield seen


def breach(*cases_, digests) -> dt.datetime:
    """Run the sweep past the latest due time, then the deferred handler on the real breach
    digest (what the job would do after the sweep's commit). Returns the run's clock."""
    now = max(c.sla_due_at for c in cases_) + MINUTE
    digests.clear()
    sla_sweep(now=now, lanes=1)
    [digest] = [d for d in digests if d["kind"] == "breach"]
    services.on_sla_digest(**digest)
    return now


def offered(case) -> set[tuple[str, str]]:
    return set(ServiceRecovery.objects.filter(case=case).values_list("trigger_id", "action"))


# --------------------------------------------------------------------------- the table


def test_the_seed_trigger_table_is_data(db):
    rows = {
        t.code: (t.event, t.condition_kind, t.condition_value, t.action, t.estimated_value)
        for t in RecoveryTrigger.objects.all()
    }
    assert rows == {
        "TRX_FAIL_BREACH": ("BREACHED", "CATEGORY", "TRX_FAIL", "VOUCHER_50K", 50_000),
        "CARD_ATM_BREACH": ("BREACHED", "CATEGORY", "CARD_ATM", "SOUVENIR_SEND", 75_000),
        "FRAUD_SCAM_CLOSE": ("CLOSED", "CATEGORY", "FRAUD_SCAM", "APOLOGY_CALL", 0),
        "ANY_OVER_2X_SLA": ("OVER_2X_SLA", "ANY", "", "ESCALATE_FREE_ADMIN", 37_500),
        "CHAMPION_BREACH": ("BREACHED", "RFM_SEGMENT", "CHAMPION", "PRIORITY_CALLBACK", 150_000),
    }


def test_the_database_refuses_a_negative_value_and_an_empty_condition(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoveryTrigger.objects.filter(pk="TRX_FAIL_BREACH").update(estimated_value=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoveryTrigger.objects.filter(pk="TRX_FAIL_BREACH").update(condition_value="")


def test_handlers_are_registered_the_breach_one_deferred():
    on_digest = dict(events.handlers_of(SLA_DIGEST))
    assert on_digest[f"{SLA_DIGEST}:insight.recovery_on_breach"].deferred
    on_close = dict(events.handlers_of("cases.case_closed"))
    assert not on_close["cases.case_closed:insight.recovery_on_close"].deferred


# --------------------------------------------------------------------------- each row fires


def test_trx_fail_and_card_atm_breaches_fire_their_rows_and_other_categories_none(
    open_case, digests
):
    trx, card, other = open_case("TRX_FAIL"), open_case("CARD_ATM"), open_case("DIGITAL_ACCESS")
    breach(trx, card, other, digests=digests)
    assert offered(trx) == {("TRX_FAIL_BREACH", "VOUCHER_50K")}
    assert offered(card) == {("CARD_ATM_BREACH", "SOUVENIR_SEND")}
    assert offered(other) == set()
    recovery = ServiceRecovery.objects.get(case=trx)
    assert (recovery.status, recovery.estimated_value, recovery.proposed_by_id) == (
        "PENDING",
        50_000,
        None,
    )
    assert recovery.customer_id == trx.customer_id and recovery.branch_id == trx.branch_id


def test_a_fraud_case_close_fires_the_apology_call_and_another_close_does_not(
    agent, supervisor, customer
):
    fraud = closed_case(agent, customer, category="FRAUD_SCAM", closer=supervisor)
    trx = closed_case(agent, customer, category="TRX_FAIL", closer=supervisor)
    assert offered(fraud) == {("FRAUD_SCAM_CLOSE", "APOLOGY_CALL")}
    assert offered(trx) == set()
    recovery = ServiceRecovery.objects.get(case=fraud)
    assert recovery.proposed_by == supervisor and recovery.trigger_event == "CLOSED"


def test_a_case_past_twice_its_sla_fires_escalation_from_the_scan_not_before(open_case):
    case = open_case("DIGITAL_ACCESS")
    twice = case.sla_due_at + (case.sla_due_at - case.received_at)
    assert services.recovery_scan(now=twice - MINUTE) == 0
    assert offered(case) == set()
    assert services.recovery_scan(now=twice + MINUTE) == 1
    assert offered(case) == {("ANY_OVER_2X_SLA", "ESCALATE_FREE_ADMIN")}


def test_a_case_closed_past_twice_its_sla_fires_escalation_at_the_close(agent, customer):
    with at(dt.datetime.now(dt.UTC)):
        case = cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="OTHER",
                priority="MEDIUM",
                description="Keluhan lain yang tidak tertangani berminggu-minggu.",
            ),
        )
    twice = case.sla_due_at + (case.sla_due_at - case.received_at)
    with at(twice + MINUTE):
        cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
        cases.case_final_response(
            actor=agent,
            case=case,
            text="Keluhan telah ditangani dan nasabah sudah dihubungi.",
            resolution_code="REFUND",
        )
        case = cases.case_close(actor=agent, case=case)
    assert offered(case) == {("ANY_OVER_2X_SLA", "ESCALATE_FREE_ADMIN")}


def test_a_quick_close_fires_nothing(agent, customer):
    case = closed_case(agent, customer, category="OTHER")
    assert offered(case) == set()


def test_a_champion_breach_fires_priority_recovery_and_a_non_champion_none(
    system, make_customer, open_case, digests
):
    champion, ordinary = make_customer("Andi Champion"), make_customer("Budi Biasa")
    book(system, champion, days_ago=1, amount=30_000_000, count=30)
    book(system, ordinary, days_ago=200, amount=30_000_000, count=6)  # AT_RISK
    rfm_run_compute(actor=system)
    mine, theirs = open_case("DIGITAL_ACCESS", champion), open_case("DIGITAL_ACCESS", ordinary)
    breach(mine, theirs, digests=digests)
    assert offered(mine) == {("CHAMPION_BREACH", "PRIORITY_CALLBACK")}
    assert offered(theirs) == set()


def test_a_champion_with_a_trx_fail_breach_gets_both_rows(
    system, make_customer, open_case, digests
):
    champion = make_customer("Andi Champion")
    book(system, champion, days_ago=1, amount=30_000_000, count=30)
    rfm_run_compute(actor=system)
    case = open_case("TRX_FAIL", champion)
    breach(case, digests=digests)
    assert offered(case) == {
        ("TRX_FAIL_BREACH", "VOUCHER_50K"),
        ("CHAMPION_BREACH", "PRIORITY_CALLBACK"),
    }


def test_an_inactive_row_fires_nothing(open_case, digests):
    RecoveryTrigger.objects.filter(pk="TRX_FAIL_BREACH").update(active=False)
    case = open_case("TRX_FAIL")
    breach(case, digests=digests)
    assert offered(case) == set()


# --------------------------------------------------------------------------- idempotent


def test_the_same_events_twice_and_the_scan_make_one_recovery_per_case_and_trigger(
    open_case, digests, agent, customer
):
    case = open_case("TRX_FAIL")
    now = breach(case, digests=digests)
    services.on_sla_digest(actor=services.ACTOR, kind="breach", at=now.isoformat())
    assert services.recovery_scan(now=now + MINUTE) == 0
    assert ServiceRecovery.objects.filter(case=case).count() == 1
    fraud = closed_case(agent, customer)
    with transaction.atomic():
        events.emit("cases.case_closed", actor=agent, case=fraud)
    assert ServiceRecovery.objects.filter(case=fraud).count() == 1
    created = AuditLog.objects.filter(action="CREATE_RECOVERY")
    assert created.count() == 2  # one per recovery, none for the repeats


def test_a_lost_digest_is_caught_up_by_the_scan(open_case):
    case = open_case("CARD_ATM")
    now = case.sla_due_at + MINUTE
    sla_sweep(now=now, lanes=1)  # its digest job never ran
    assert offered(case) == set()
    assert services.recovery_scan(now=now + MINUTE) == 1
    assert offered(case) == {("CARD_ATM_BREACH", "SOUVENIR_SEND")}


def test_the_database_keeps_one_recovery_per_case_and_trigger(agent, customer):
    fraud = closed_case(agent, customer)
    first = ServiceRecovery.objects.get(case=fraud)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRecovery.objects.create(
            case=fraud,
            customer=customer,
            branch=first.branch,
            trigger=first.trigger,
            trigger_event=first.trigger_event,
            action=first.action,
            estimated_value=0,
        )


def test_hostile_digests_are_ignored(open_case):
    for kind, stamp in (("warning", "2026-01-01T00:00:00+00:00"), ("breach", "bukan\x00tanggal")):
        services.on_sla_digest(actor=services.ACTOR, kind=kind, at=stamp)
    services.on_sla_digest(actor=services.ACTOR, kind="breach", at=None)
    assert not ServiceRecovery.objects.exists()


# --------------------------------------------------------------------------- notified


def test_the_branch_supervisors_are_told_once_per_batch(
    open_case, digests, supervisor, make_user, branch_b
):
    elsewhere = make_user(R.SUPERVISOR, branches=[branch_b])
    breach(open_case("TRX_FAIL"), open_case("CARD_ATM"), digests=digests)
    told = Message.objects.filter(source="APPROVAL", source_id__startswith="recovery:")
    [notice] = told.filter(staff_user=supervisor)
    assert notice.channel == "IN_APP" and notice.subject.startswith("2 pemulihan layanan baru")
    assert not told.filter(staff_user=elsewhere).exists()


# --------------------------------------------------------------------------- four eyes


def _fraud_recovery(agent, customer, closer, value):
    RecoveryTrigger.objects.filter(pk="FRAUD_SCAM_CLOSE").update(estimated_value=value)
    return ServiceRecovery.objects.get(case=closed_case(agent, customer, closer=closer))


def test_above_the_threshold_the_proposer_cannot_approve_and_nobody_sends_unapproved(
    agent, customer, supervisor, second_supervisor
):
    recovery = _fraud_recovery(agent, customer, supervisor, 200_000)
    assert recovery.proposed_by == supervisor
    with pytest.raises(ServiceError) as refused:
        services.recovery_move(actor=supervisor, recovery_id=recovery.pk, to="APPROVED")
    assert refused.value.code == "guard_failed" and "pengusul" in str(refused.value.message)
    for who in (agent, second_supervisor):
        with pytest.raises(ServiceError) as refused:
            services.recovery_move(actor=who, recovery_id=recovery.pk, to="SENT")
        assert refused.value.code == "guard_failed"
    with pytest.raises(PermissionDenied):
        services.recovery_move(actor=agent, recovery_id=recovery.pk, to="APPROVED")
    recovery.refresh_from_db()
    assert recovery.status == "PENDING" and recovery.approved_by is None

    services.recovery_move(actor=second_supervisor, recovery_id=recovery.pk, to="APPROVED")
    services.recovery_move(actor=agent, recovery_id=recovery.pk, to="SENT")
    services.recovery_move(actor=agent, recovery_id=recovery.pk, to="CLAIMED")
    recovery.refresh_from_db()
    assert recovery.status == "CLAIMED" and recovery.approved_by == second_supervisor
    assert recovery.approved_at <= recovery.sent_at <= recovery.claimed_at == recovery.closed_at
    moves = AuditLog.objects.filter(action="MOVE_RECOVERY", object_id=str(recovery.pk))
    assert [m.meta["to"] for m in moves.order_by("id")] == ["APPROVED", "SENT", "CLAIMED"]


def test_below_the_threshold_the_proposer_sends_without_approval(agent, customer):
    recovery = _fraud_recovery(agent, customer, agent, 0)
    services.recovery_move(actor=agent, recovery_id=recovery.pk, to="SENT")
    recovery.refresh_from_db()
    assert recovery.status == "SENT" and recovery.approved_by is None and recovery.sent_at


def test_the_threshold_is_a_setting(agent, customer, settings):
    recovery = _fraud_recovery(agent, customer, agent, 100_000)
    settings.RECOVERY_APPROVAL_THRESHOLD_IDR = 99_999
    with pytest.raises(ServiceError):
        services.recovery_move(actor=agent, recovery_id=recovery.pk, to="SENT")
    settings.RECOVERY_APPROVAL_THRESHOLD_IDR = 100_000  # "above" the value: exactly is fine
    services.recovery_move(actor=agent, recovery_id=recovery.pk, to="SENT")


def test_out_of_scope_and_bad_targets_are_refused(agent, customer, make_user, branch_b):
    recovery = _fraud_recovery(agent, customer, agent, 0)
    stranger = make_user(R.SUPERVISOR, branches=[branch_b])
    with pytest.raises(NotFound):
        services.recovery_move(actor=stranger, recovery_id=recovery.pk, to="SENT")
    for bad in ("CLAIMED", "X" * 500, "\x00", None, 7):
        with pytest.raises(ServiceError):
            services.recovery_move(actor=agent, recovery_id=recovery.pk, to=bad)
    with pytest.raises(NotFound):
        services.recovery_move(actor=agent, recovery_id="not-a-uuid", to="SENT")
    recovery.refresh_from_db()
    assert recovery.status == "PENDING"


# --------------------------------------------------------------------------- pages


def test_the_list_shows_pending_first_with_the_moves_the_user_may_make(
    agent, customer, supervisor, second_supervisor
):
    sent = _fraud_recovery(agent, customer, agent, 0)
    services.recovery_move(actor=agent, recovery_id=sent.pk, to="SENT")
    pending = _fraud_recovery(agent, customer, supervisor, 200_000)
    page = sign_in(Client(), supervisor).get("/insight/recovery/").content.decode()
    assert page.index(f'data-recovery="{pending.pk}"') < page.index(f'data-recovery="{sent.pk}"')
    row = page[page.index(f'data-recovery="{pending.pk}"') :].split("</tr>")[0]
    assert "Setujui" not in row and "Kirim" not in row  # four eyes, above the threshold
    page = sign_in(Client(), second_supervisor).get("/insight/recovery/").content.decode()
    row = page[page.index(f'data-recovery="{pending.pk}"') :].split("</tr>")[0]
    assert "Setujui" in row and "Telepon permohonan maaf (wajib)" in row
    client = sign_in(Client(), supervisor)
    filtered = client.get("/insight/recovery/?status=SENT").content.decode()
    assert str(sent.pk) in filtered and str(pending.pk) not in filtered
    assert client.get("/insight/recovery/?status=BOGUS").status_code == 200
    assert client.get("/insight/recovery/?status=SENT\x00").status_code == 400


def test_another_branch_neither_lists_nor_decides(agent, customer, make_user, branch_b):
    recovery = _fraud_recovery(agent, customer, agent, 0)
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_b]))
    assert str(recovery.pk) not in client.get("/insight/recovery/").content.decode()
    response = client.post(f"/insight/recovery/{recovery.pk}/move/", {"to": "SENT"})
    assert response.status_code == 404
    recovery.refresh_from_db()
    assert recovery.status == "PENDING"


@pytest.mark.parametrize(
    "data",
    [{}, {"to": ""}, {"to": "CLAIMED"}, {"to": "\x00"}, {"to": "A" * 5000}, {"to": ["SENT", "X"]}],
)
def test_hostile_input_on_the_decision_form_changes_nothing(agent, customer, supervisor, data):
    recovery = _fraud_recovery(agent, customer, agent, 0)
    response = sign_in(Client(), supervisor).post(f"/insight/recovery/{recovery.pk}/move/", data)
    assert response.status_code in (303, 400)
    recovery.refresh_from_db()
    assert recovery.status == "PENDING" or data == {"to": ["SENT", "X"]}


def test_the_decision_form_moves_and_redirects(agent, customer, supervisor):
    recovery = _fraud_recovery(agent, customer, agent, 0)
    response = sign_in(Client(), supervisor).post(
        f"/insight/recovery/{recovery.pk}/move/", {"to": "SENT"}
    )
    assert response.status_code == 303 and response["Location"] == "/insight/recovery/"
    recovery.refresh_from_db()
    assert recovery.status == "SENT"


def test_the_recovery_is_a_line_on_the_customer_timeline(open_case, digests, supervisor, customer):
    breach(open_case("TRX_FAIL"), digests=digests)
    page = sign_in(Client(), supervisor).get(f"/customers/{customer.pk}/").content.decode()
    assert "Pemulihan layanan · Voucher Rp50.000 / gratis biaya admin 3 bulan" in page
    assert "Rp50.000" in page


# --------------------------------------------------------------------------- metrics


def test_metrics_on_a_hand_computed_fixture(
    open_case, digests, agent, customer, supervisor, make_user, branch_b
):
    """trx1 voucher 50k SENT→CLAIMED, card souvenir 75k SENT→EXPIRED, fraud call 0 SENT,
    trx2 voucher 50k PENDING: created 4, sent 3 (75 %), claimed 1 of 3 sent (33.3 %),
    cost claimed 50,000, cost sent 125,000."""
    trx1, card, trx2 = open_case("TRX_FAIL"), open_case("CARD_ATM"), open_case("TRX_FAIL")
    breach(trx1, card, trx2, digests=digests)
    fraud = closed_case(agent, customer)

    def move(case, *path):
        recovery = ServiceRecovery.objects.get(case=case)
        for to in path:
            services.recovery_move(actor=supervisor, recovery_id=recovery.pk, to=to)

    move(trx1, "SENT", "CLAIMED")
    move(card, "SENT", "EXPIRED")
    move(fraud, "SENT")
    figures = selectors.recovery_metrics(actor=supervisor)
    assert figures == {
        "created": 4,
        "sent": 3,
        "claimed": 1,
        "pending": 1,
        "approved": 0,
        "expired": 1,
        "cost_claimed": 50_000,
        "cost_sent": 125_000,
        "recovery_rate": 75.0,
        "redemption_rate": 33.3,
    }
    # the dashboard widget: per offered action, from the refresh job's per-branch figures
    now = dt.datetime.now(dt.UTC) + MINUTE
    table = dashboard.present(list(dashboard.compute([trx1.branch_id, branch_b.pk], now)), {})
    assert table.rows == [
        ["Voucher Rp50.000 / gratis biaya admin 3 bulan", 2, 1, 1, Ratio(1, 2), Ratio(1, 1)],
        ["Kirim suvenir + surat permohonan maaf", 1, 1, 0, Ratio(1, 1), Ratio(0, 1)],
        ["Telepon permohonan maaf (wajib)", 1, 1, 0, Ratio(1, 1), Ratio(0, 1)],
    ]
    assert not list(dashboard.compute([branch_b.pk], now))
    assert registry.dashboard_widgets.get("insight.service_recovery").personal_data is False
    elsewhere = selectors.recovery_metrics(actor=make_user(R.SUPERVISOR, branches=[branch_b]))
    assert (elsewhere["created"], elsewhere["recovery_rate"], elsewhere["redemption_rate"]) == (
        0,
        None,
        None,
    )


def test_the_list_speaks_english(agent, customer, supervisor, second_supervisor):
    _fraud_recovery(agent, customer, supervisor, 200_000)
    client = sign_in(Client(), second_supervisor)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get("/insight/recovery/").content.decode()
    assert "Apology call (mandatory)" in page and "Case closed" in page
    assert "Telepon permohonan maaf" not in page and "Pemulihan layanan" not in page


# --------------------------------------------------------------------------- sending, expiry


def _voucher_recovery(agent, customer):
    RecoveryTrigger.objects.filter(pk="FRAUD_SCAM_CLOSE").update(
        action="VOUCHER_50K", estimated_value=50_000
    )
    return ServiceRecovery.objects.get(case=closed_case(agent, customer))


def test_sent_goes_to_the_customer_through_the_hub(agent, customer, supervisor):
    recovery = _voucher_recovery(agent, customer)
    services.recovery_move(actor=supervisor, recovery_id=recovery.pk, to="SENT")
    message = Message.objects.get(source_id=f"recovery:{recovery.pk}")
    assert (message.channel, message.purpose, message.status) == ("WHATSAPP", "SERVICE", "QUEUED")
    assert recovery.case.case_no in message.text
    row = AuditLog.objects.filter(action="MOVE_RECOVERY", object_id=str(recovery.pk)).get()
    assert row.meta["sent_by"] == "message"


def test_what_cannot_reach_the_customer_is_refused_and_consent_decides(
    agent, customer, supervisor, make_customer
):
    from amanah.consent.services import suppression_add

    unreachable = make_customer("Budi Santoso")  # no WhatsApp number
    voucher = _voucher_recovery(agent, unreachable)
    with pytest.raises(ServiceError) as refused:
        services.recovery_move(actor=supervisor, recovery_id=voucher.pk, to="SENT")
    assert refused.value.code == "no_address"
    voucher.refresh_from_db()
    assert voucher.status == "PENDING" and voucher.sent_at is None
    # The do-not-contact list stops offers, not the answer to a complaint (consent's rule):
    # the recovery still goes, as a SERVICE message; a call action sends no message at all.
    suppression_add(actor=agent, customer=customer, reason="Minta tidak dihubungi")
    sent = _voucher_recovery(agent, customer)
    services.recovery_move(actor=supervisor, recovery_id=sent.pk, to="SENT")
    assert Message.objects.get(source_id=f"recovery:{sent.pk}").purpose == "SERVICE"
    RecoveryTrigger.objects.filter(pk="FRAUD_SCAM_CLOSE").update(action="APOLOGY_CALL")
    call = _fraud_recovery(agent, make_customer("Citra Lestari"), supervisor, 0)
    services.recovery_move(actor=supervisor, recovery_id=call.pk, to="SENT")
    assert not Message.objects.filter(source_id=f"recovery:{call.pk}").exists()


def make_customer_like(customer):
    from amanah.customers.services import CustomerInput, customer_create

    return customer_create(
        actor=SystemActorForTests,
        data=CustomerInput(full_name="Budi Santoso", home_branch=customer.home_branch),
    )


def test_no_approved_template_refuses_the_send(agent, customer, supervisor):
    from amanah.messaging.models import TemplateVersion

    recovery = _voucher_recovery(agent, customer)
    TemplateVersion.objects.filter(template__key="insight.recovery_offer").update(status="DRAFT")
    with pytest.raises(ServiceError) as refused:
        services.recovery_move(actor=supervisor, recovery_id=recovery.pk, to="SENT")
    assert refused.value.code == "no_template"
    recovery.refresh_from_db()
    assert recovery.status == "PENDING"


def test_unclaimed_recoveries_expire_batched_and_once(agent, customer, supervisor, settings):
    settings.RECOVERY_CLAIM_DAYS = 30
    first = _fraud_recovery(agent, customer, supervisor, 0)
    second = _fraud_recovery(agent, make_customer_like(customer), supervisor, 0)
    fresh = _fraud_recovery(agent, make_customer_like(customer), supervisor, 0)
    for r in (first, second, fresh):
        services.recovery_move(actor=agent, recovery_id=r.pk, to="SENT")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    ServiceRecovery.objects.filter(pk__in=[first.pk, second.pk]).update(sent_at=old)
    assert services.recovery_expire(batch_size=1) == 2
    statuses = dict(ServiceRecovery.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk], statuses[fresh.pk]) == (
        "EXPIRED",
        "EXPIRED",
        "SENT",
    )
    assert services.recovery_expire() == 0
    moves = AuditLog.objects.filter(action="MOVE_RECOVERY", meta__to="EXPIRED")
    assert moves.count() == 2


# --------------------------------------------------------------------------- the trigger table


def test_an_admin_changes_a_trigger_audited_and_bad_values_change_nothing(
    make_user, agent, customer
):
    admin = make_user(R.ADMIN)
    client = sign_in(Client(), admin)
    page = client.get("/insight/recovery/triggers/").content.decode()
    assert 'data-trigger="TRX_FAIL_BREACH"' in page or 'data-testid="recovery-triggers"' in page
    url = "/insight/recovery/triggers/FRAUD_SCAM_CLOSE/"
    response = client.post(url, {"action": "VOUCHER_50K", "estimated_value": "75.000"})
    assert response.status_code == 303
    trigger = RecoveryTrigger.objects.get(pk="FRAUD_SCAM_CLOSE")
    assert (trigger.action, trigger.estimated_value, trigger.active) == (
        "VOUCHER_50K",
        75_000,
        False,
    )
    row = AuditLog.objects.filter(action="UPDATE_RECOVERY_TRIGGER").get()
    assert row.meta["changed"]["estimated_value"] == [0, 75_000]
    assert row.meta["changed"]["active"] == [True, False]
    # switched off: a fraud case closed now fires nothing
    closed_case(agent, customer)
    assert not ServiceRecovery.objects.exists()
    for bad in (
        {"action": "CASH", "estimated_value": "1"},
        {"action": "VOUCHER_50K", "estimated_value": "-5"},
        {"action": "VOUCHER_50K", "estimated_value": "satu juta"},
        {"action": "VOUCHER_50K", "estimated_value": str(10**12)},
        {"action": "VOUCHER_50K"},
    ):
        assert client.post(url, bad).status_code == 303
    assert RecoveryTrigger.objects.get(pk="FRAUD_SCAM_CLOSE").estimated_value == 75_000
    assert AuditLog.objects.filter(action="UPDATE_RECOVERY_TRIGGER").count() == 1
    with pytest.raises(ServiceError) as refused:
        services.recovery_trigger_update(
            actor=admin,
            code="FRAUD_SCAM_CLOSE",
            action="VOUCHER_50K",
            estimated_value=-1,
            active=True,
        )
    assert refused.value.field == "estimated_value"
    with pytest.raises(NotFound):
        services.recovery_trigger_update(
            actor=admin, code="NOPE", action="VOUCHER_50K", estimated_value=1, active=True
        )
    with pytest.raises(PermissionDenied):
        services.recovery_trigger_update(
            actor=agent,
            code="FRAUD_SCAM_CLOSE",
            action="VOUCHER_50K",
            estimated_value=1,
            active=True,
        )
