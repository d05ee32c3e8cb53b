"""New connections (pasang baru) end to end on the workflow engine: the roles allowed at each
step, four eyes on the RAB, a revert with its reason, the payment plan (installments summing
to the RAB), payments oldest first, late fees, the journal always balanced, the customer told
at each step, bad input refused with nothing changed; the pages and their permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.ledger.models import JournalEntry, JournalLine
from amanah.messaging.models import Message
from amanah.utility import installations as inst
from amanah.utility import installments as math
from amanah.utility import services, testing
from amanah.utility.models import Connection, Installation, Installment, LateFee, RabLine
from amanah.workflow.models import TransitionHistory

S = inst.S
LINES = [
    inst.RabLineInput("Pipa PE 1/2 inci (m)", 12, 15_250),
    inst.RabLineInput("Meter air 1/2 inci", "1", "450000"),
    inst.RabLineInput("Jasa pemasangan", 1, 350_002),
]
RAB_TOTAL = 12 * 15_250 + 450_000 + 350_002  # 983,002


@pytest.fixture
def people(db, branch_a, make_user):
    testing.network()
    return {
        "cs": make_user(R.AGENT, branches=[branch_a]),
        "tech": make_user(R.AGENT, branches=[branch_a]),
        "finance": make_user(R.SUPERVISOR, branches=[branch_a]),
        "other": make_user(R.SUPERVISOR, branches=[branch_a]),
    }


def _apply(actor, branch, number="PB-0001"):
    customer = customer_create(
        actor=testing.SYSTEM,
        data=CustomerInput(full_name="Rahmat Pemohon", home_branch=branch, phone="082160007007"),
    )
    data = services.ConnectionInput(
        customer_id=customer.pk,
        number=number,
        tariff_code="R1",
        area_code="W1",
        street="Jl. Gatot Subroto",
        house_number="7",
        rt="2",
        rw="4",
    )
    return inst.installation_apply(actor=actor, data=data).installation


def _state(installation):
    """What a refused step must leave untouched."""
    row = Installation.objects.get(pk=installation.pk)
    return (
        row.status,
        row.rab_total,
        row.plan,
        TransitionHistory.objects.filter(object_id=str(row.pk)).count(),
        RabLine.objects.filter(installation=row).count(),
        Installment.objects.filter(installation=row).count(),
        JournalEntry.objects.count(),
    )


def _balanced_entries() -> bool:
    per_entry = JournalLine.objects.values("entry").annotate(d=Sum("debit"), c=Sum("credit"))
    return all(row["d"] == row["c"] for row in per_entry)


def _move(actor, installation, to, **data):
    return inst.installation_move(actor=actor, installation_id=installation.pk, to=to, **data)


def test_a_new_connection_end_to_end_with_revert_and_four_eyes(people, branch_a):
    cs, tech, finance = people["cs"], people["tech"], people["finance"]
    installation = _apply(cs, branch_a)
    assert installation.status == S.APPLIED and installation.stage_due_at > timezone.now()

    # the wrong role: finance may not record the survey; nothing changes
    before = _state(installation)
    with pytest.raises(PermissionDenied):
        _move(finance, installation, S.SURVEYED, lat="3.6", lon="98.67", note="ok")
    # bad coordinates: refused, nothing changes
    with pytest.raises(ServiceError) as bad:
        _move(tech, installation, S.SURVEYED, lat="91", lon="98.67", note="ok")
    assert bad.value.field == "lat"
    assert _state(installation) == before

    moved = _move(tech, installation, S.SURVEYED, lat="3.601234", lon="98.671", note="Jalan sempit")
    assert moved.technician == tech and str(moved.survey_lat) == "3.601234"

    # RAB: a negative quantity is refused with nothing written; then finance prices it
    before = _state(installation)
    with pytest.raises(ServiceError):
        inst.rab_lines_set(
            actor=finance,
            installation_id=installation.pk,
            lines=[*LINES, inst.RabLineInput("Galian", -2, 10_000)],
        )
    assert _state(installation) == before
    inst.rab_lines_set(actor=finance, installation_id=installation.pk, lines=LINES)
    _move(finance, installation, S.RAB_SUBMITTED)

    # four eyes: its author may not approve it
    before = _state(installation)
    with pytest.raises(ServiceError) as refused:
        _move(finance, installation, S.RAB_APPROVED)
    assert refused.value.code == "guard_failed"
    assert _state(installation) == before

    # a wrong step is reverted with a reason (audited), then the RAB is redone by CS
    with pytest.raises(ServiceError):
        inst.installation_revert(actor=finance, installation_id=installation.pk, reason="  ")
    reverted = inst.installation_revert(
        actor=finance, installation_id=installation.pk, reason="Harga meter salah"
    )
    assert reverted.status == S.SURVEYED
    line = TransitionHistory.objects.filter(object_id=str(installation.pk)).latest("id")
    assert line.reason == "Harga meter salah" and line.reverts_id is not None
    audit_row = AuditLog.objects.filter(action="MOVE_INSTALLATION").latest("id")
    assert audit_row.meta["revert"] is True and audit_row.meta["reason_length"] == 17
    inst.rab_lines_set(actor=cs, installation_id=installation.pk, lines=LINES)
    _move(cs, installation, S.RAB_SUBMITTED)
    approved = _move(finance, installation, S.RAB_APPROVED)
    assert approved.approved_by == finance and approved.rab_total == RAB_TOTAL

    # the plan: a hand-made schedule that does not sum is refused; then 3 installments
    today = timezone.localdate()
    before = _state(installation)
    with pytest.raises(ServiceError) as off:
        inst.rab_schedule_set(
            actor=cs,
            installation_id=installation.pk,
            plan="INSTALLMENT",
            rows=[(today, 500_000), (math.add_months(today, 1), 483_000)],
        )
    assert off.value.code == "schedule_sum"
    assert _state(installation) == before
    with pytest.raises(ServiceError) as not_paid:
        _move(finance, installation, S.PAID)
    assert not_paid.value.code == "guard_failed"
    inst.rab_schedule_set(
        actor=cs, installation_id=installation.pk, plan="INSTALLMENT", count=3, first_due=today
    )
    rows = list(Installment.objects.filter(installation=installation).order_by("seq"))
    assert [r.amount for r in rows] == [327_668, 327_667, 327_667]
    assert sum(r.amount for r in rows) == RAB_TOTAL
    # once billed, the approval can no longer be undone
    with pytest.raises(ServiceError):
        inst.installation_revert(actor=finance, installation_id=installation.pk, reason="x")

    # the down payment, then the step to PAID
    paid = inst.rab_payment_apply(
        actor=finance, installation_id=installation.pk, amount=327_668, reference="RAB-1"
    )
    assert paid.allocations == [(rows[0].pk, 327_668, 0)]
    replay = inst.rab_payment_apply(
        actor=finance, installation_id=installation.pk, amount=327_668, reference="RAB-1"
    )
    assert replay.replay and Installment.objects.get(pk=rows[0].pk).paid == 327_668
    _move(finance, installation, S.PAID)

    # two months and a bit later, the second installment is late: denda by the rule, once
    as_of = math.add_months(today, 2) + dt.timedelta(days=3)
    first = inst.late_fees_assess(actor=testing.SYSTEM, as_of=as_of)
    again = inst.late_fees_assess(actor=testing.SYSTEM, as_of=as_of)
    assert again.fees == 0
    rule = inst.late_fee_rule()
    expected = sum(
        fee
        for row in rows[1:]
        for _m, fee in math.fees_due(
            rule,
            amount=row.amount,
            outstanding=row.amount,
            months=math.months_late(row.due_on, as_of),
            charged={},
        )
    )
    assert first.amount == expected > 0
    assert LateFee.objects.filter(installment__installation=installation).count() == first.fees

    # the rest with an overpayment: oldest first, denda before principal, the rest as credit
    rest = RAB_TOTAL - 327_668 + expected
    inst.rab_payment_apply(
        actor=finance, installation_id=installation.pk, amount=rest + 5_000, reference="RAB-2"
    )
    assert all(r.settled for r in Installment.objects.filter(installation=installation))
    assert Connection.objects.get(pk=installation.connection_id).credit == 5_000

    _move(tech, installation, S.INSTALLED)
    with pytest.raises(ServiceError):
        _move(tech, installation, S.ACTIVE, meter_number="")
    active = _move(tech, installation, S.ACTIVE, meter_number="MTR-778899")
    connection = Connection.objects.get(pk=active.connection_id)
    assert (active.status, connection.status, connection.meter_number) == (
        S.ACTIVE,
        "ACTIVE",
        "MTR-778899",
    )
    assert active.stage_due_at is None  # the last step has no clock

    # the journal: every entry balanced; the RAB billed, paid and the denda through their accounts
    assert _balanced_entries()
    by_account = dict(
        JournalLine.objects.values_list("account__code").annotate(n=Sum("debit") - Sum("credit"))
    )
    assert by_account["1132"] == 0  # piutang sambungan billed and paid in full
    assert by_account["1133"] == 0  # piutang denda charged and paid
    assert by_account["4201"] == -RAB_TOTAL and by_account["4301"] == -expected
    assert by_account["1101"] == RAB_TOTAL + expected + 5_000

    # the customer was told at each step (application + 8 moves, the revert included)
    notices = Message.objects.filter(source="SYSTEM", source_id=f"installation:{installation.pk}")
    assert notices.count() == 9
    assert notices.filter(step__startswith="SURVEYED").count() == 2  # the move and the revert


def test_payment_and_moves_are_scoped_and_bad_payments_refused(
    people, branch_a, branch_b, make_user
):
    installation = _apply(people["cs"], branch_a)
    outsider = make_user(R.SUPERVISOR, branches=[branch_b])
    with pytest.raises(NotFound):
        _move(outsider, installation, S.SURVEYED, lat="3.6", lon="98.6", note="x")
    with pytest.raises(ServiceError) as unbilled:
        inst.rab_payment_apply(
            actor=people["finance"], installation_id=installation.pk, amount=1, reference="X-1"
        )
    assert unbilled.value.code == "rab_not_billed"
    for amount in (0, -5, 1.5, True):
        with pytest.raises(ServiceError):
            inst.rab_payment_apply(
                actor=people["finance"],
                installation_id=installation.pk,
                amount=amount,
                reference="X-2",
            )
    with pytest.raises(ServiceError):
        _move(people["tech"], installation, "ACTIVE\x00")


def test_pages_list_detail_and_a_step_through_the_form(people, branch_a, branch_b, make_user):
    installation = _apply(people["cs"], branch_a)
    client = sign_in(Client(), people["tech"])
    page = client.get(reverse("utility:installations"))
    assert page.status_code == 200 and installation.number in page.content.decode()
    detail = client.get(reverse("utility:installation", args=[installation.pk]))
    assert detail.status_code == 200
    assert 'data-testid="move-SURVEYED"' in detail.content.decode()
    assert "Catat survei lokasi" in detail.content.decode()
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        english = client.get(reverse("utility:installation", args=[installation.pk]))
    assert "Record the site survey" in english.content.decode()
    assert "Stage history" in english.content.decode()
    client.cookies["django_language"] = "id"
    url = reverse("utility:installation_move", args=[installation.pk])
    bad = client.post(url, {"to": "SURVEYED", "lat": "abc", "lon": "98.6", "note": "x"})
    assert bad.status_code in (303, 400)
    assert Installation.objects.get(pk=installation.pk).status == S.APPLIED
    done = client.post(url, {"to": "SURVEYED", "lat": "3.6", "lon": "98.6", "note": "Aman"})
    assert done.status_code == 303
    assert Installation.objects.get(pk=installation.pk).status == S.SURVEYED
    outsider = sign_in(Client(), make_user(R.AGENT, branches=[branch_b]))
    assert outsider.get(reverse("utility:installation", args=[installation.pk])).status_code == 404


def test_a_qris_request_asks_the_gateway_for_what_is_due_now(people, branch_a, branch_b, make_user):
    from django.test import override_settings

    from amanah.payments.fakegateway.server import FakeGateway

    cs, tech, finance = people["cs"], people["tech"], people["finance"]
    installation = _apply(cs, branch_a)
    with pytest.raises(ServiceError) as unbilled:
        inst.rab_payment_request(actor=finance, installation_id=installation.pk)
    assert unbilled.value.code == "rab_not_billed"
    _move(tech, installation, S.SURVEYED, lat="3.6", lon="98.67", note="ok")
    inst.rab_lines_set(actor=cs, installation_id=installation.pk, lines=LINES)
    _move(cs, installation, S.RAB_SUBMITTED)
    _move(finance, installation, S.RAB_APPROVED)
    inst.rab_schedule_set(
        actor=cs, installation_id=installation.pk, plan="INSTALLMENT", count=3, first_due=None
    )
    first = Installment.objects.filter(installation=installation).order_by("seq").first()
    outsider = make_user(R.SUPERVISOR, branches=[branch_b])
    with FakeGateway() as fake, override_settings(PAYMENT_GATEWAYS=fake.config()):
        payment = inst.rab_payment_request(actor=finance, installation_id=installation.pk)
        assert (payment.payable_type, payment.payable_key) == (
            inst.INSTALLATION_PAYABLE,
            str(installation.pk),
        )
        assert payment.method == "QRIS" and payment.amount == first.amount  # the oldest due
        assert fake.orders[payment.order_id].amount == first.amount
        with pytest.raises(PermissionDenied):  # customer service takes no gateway payments
            inst.rab_payment_request(actor=cs, installation_id=installation.pk)
        with pytest.raises(NotFound):  # another branch's installation: not found
            inst.rab_payment_request(actor=outsider, installation_id=installation.pk)
    assert len(fake.orders) == 1  # the refusals asked the gateway nothing
