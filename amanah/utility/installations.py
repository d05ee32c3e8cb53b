"""New connections (pasang baru / Instalasi) on the workflow engine (DESIGN §2, issue 17).

    APPLIED → SURVEYED → RAB_SUBMITTED → RAB_APPROVED → PAID → INSTALLED → ACTIVE
    permohonan  survei     RAB diajukan    disetujui      dibayar  terpasang  meter aktif

Every step is a transition of the workflow ``utility.installation`` (declared in
``contract.py``: who may take it, its guard, its compensating revert) and is taken through
``installation_move`` / ``installation_revert`` here — they lock the installation through the
actor's scope and call the engine, which checks permission and guard, saves, writes the
history line and the audit row and emits ``utility.installation.transitioned``. What a step
implies (the survey's technician and coordinates, the RAB's author, the approver, the meter
activation of the connection, the SLA of the next step on the branch's working calendar) is
set by ``on_apply`` in the same transaction. The customer hears of each step through the
messaging hub (``installation_notify``, a handler of that event; contactability is the
outbox's own check).

The RAB (``rab_lines_set``) is priced while SURVEYED and submitted; approved by someone else
than its author (four eyes). Once approved, customer service sets the payment plan
(``rab_schedule_set``: full, or installments summing exactly to the RAB total — arithmetic in
``installments.py``), which bills the RAB (journal ``utility.rab_bill``: D piutang sambungan /
K pendapatan sambungan baru). Payments (``rab_payment_apply``) go to the oldest installment
first, its denda before its principal, what is left over kept as the connection's credit
(the same receipts and reference idempotency as water bills, ``accounts.py``; journal
``utility.rab_payment``). ``late_fees_assess`` (a daily job) charges the denda of overdue
installments by the rule in settings (journal ``utility.late_fee``: D piutang denda /
K pendapatan denda), once per installment and month late.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars import worktime
from amanah.calendars.schedules import schedule_for_branch
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.fields import date_in_range
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.ledger.contract import PostingRule, chart, post_for, simple_rule
from amanah.messaging.contract import (
    CUSTOMER_ADDRESS,
    Channel,
    MessageSource,
    Purpose,
    Rendered,
    message_queue,
)
from amanah.utility import installments as math
from amanah.utility import services
from amanah.utility.accounts import AMOUNT_MAX, CASH_ACCOUNTS
from amanah.utility.models import (
    Connection,
    ConnectionStatus,
    Installation,
    InstallationStatus,
    Installment,
    InstallmentAllocation,
    LateFee,
    PaymentPlan,
    RabLine,
    Receipt,
)
from amanah.utility.policies import (
    BILLING_RUN,
    INSTALLATION_APPLY,
    INSTALLATION_RAB,
    PAYMENT_APPLY,
)

logger = logging.getLogger(__name__)

S = InstallationStatus
WORKFLOW_KEY = "utility.installation"
INSTALLATION_CREATED = events.declare("utility.installation_created")
RAB_SAVED = events.declare("utility.rab_saved")
RAB_BILLED = events.declare("utility.rab_billed")
RAB_PAYMENT_APPLIED = events.declare("utility.rab_payment_applied")
LATE_FEES_ASSESSED = events.declare("utility.late_fees_assessed")

RAB_BILL_RULE = "utility.rab_bill"
RAB_PAYMENT_RULE = "utility.rab_payment"
LATE_FEE_RULE = "utility.late_fee"
INSTALLATION_PAYABLE = "utility.installation"

RAB_LINES_MAX = 50
QTY_MAX = 100_000
PRICE_MAX = 10**11
NOTE_MAX = 1000

# --------------------------------------------------------------------------- posting rules


def rab_payment_lines(facts: Mapping) -> list[tuple[str, int, int]]:
    lines = [
        (facts["cash_account"], facts["amount"], 0),
        (chart.PIUTANG_SAMBUNGAN, 0, facts["principal"]),
        (chart.PIUTANG_DENDA, 0, facts["late_fee"]),
        (chart.UANG_MUKA_PELANGGAN, 0, facts["to_credit"]),
    ]
    return [line for line in lines if line[1] or line[2]]


RAB_BILL = simple_rule(
    gettext_noop("Tagihan RAB sambungan baru"),
    INSTALLATION_RAB,
    debit=chart.PIUTANG_SAMBUNGAN,
    credit=chart.PENDAPATAN_SAMBUNGAN,
)
RAB_PAYMENT = PostingRule(
    gettext_noop("Pembayaran RAB / angsuran sambungan baru"), PAYMENT_APPLY, rab_payment_lines
)
LATE_FEE = simple_rule(
    gettext_noop("Denda keterlambatan angsuran"),
    BILLING_RUN,
    debit=chart.PIUTANG_DENDA,
    credit=chart.PENDAPATAN_DENDA,
)

# --------------------------------------------------------------------------- SLA per step


def sla_hours(status: str) -> int | None:
    """Working hours allowed for the step that starts at ``status`` (None: no clock)."""
    return settings.UTILITY_INSTALLATION_SLA_HOURS.get(str(status))


def stage_due(installation: Installation, status: str, since: dt.datetime) -> dt.datetime | None:
    hours = sla_hours(status)
    if hours is None:
        return None
    schedule = schedule_for_branch(installation.connection.branch)
    return worktime.add_working_minutes(schedule, since, int(hours) * 60)


def _start_stage(installation: Installation, status: str, at: dt.datetime) -> list[str]:
    installation.stage_since = at
    installation.stage_due_at = stage_due(installation, status, at)
    installation.updated_at = at
    return ["stage_since", "stage_due_at", "updated_at"]


# --------------------------------------------------------------------------- guards & hook


def actor_ref(actor) -> str:
    return str(actor.pk) if getattr(actor, "pk", None) is not None else actor.username


def not_rab_author(installation, data) -> bool:
    """Four eyes: whoever drafted (or last changed) the RAB does not approve it."""
    actor = data.get("actor")
    return actor is not None and actor_ref(actor) != installation.rab_author_ref


def has_rab(installation, data) -> bool:
    return installation.rab_total > 0 and installation.rab_lines.exists()


def payment_received(installation, data) -> bool:
    """A plan is set and paid: all of it (FULL), or the first installment (uang muka)."""
    rows = list(installation.installments.order_by("seq"))
    if not rows:
        return False
    if installation.plan == PaymentPlan.FULL:
        return all(row.paid == row.amount for row in rows)
    return rows[0].paid == rows[0].amount


def no_plan(installation, data) -> bool:
    """An approval is undone only before the RAB was billed (the plan set)."""
    return not installation.plan


def _clean_coordinates(data) -> tuple[Decimal, Decimal]:
    lat = services._latitude(data.get("lat"), "lat")
    lon = services._longitude(data.get("lon"), "lon")
    return lat, lon


def _clean_note(value) -> str:
    note = required_text(value, field="note", label=_("Catatan survei"), maximum=NOTE_MAX)
    return note


def on_apply(installation, *, transition, data, at) -> list[str]:
    """What a step implies, on the locked installation (the engine saves it)."""
    actor = data.get("actor")
    fields = _start_stage(installation, transition.to_status, at)
    if transition.is_revert:
        return fields
    to = transition.to_status
    if to == S.SURVEYED:
        installation.survey_lat, installation.survey_lon = _clean_coordinates(data)
        installation.survey_note = _clean_note(data.get("note"))
        installation.technician = actor if hasattr(actor, "username") and actor.pk else None
        fields += ["survey_lat", "survey_lon", "survey_note", "technician"]
    elif to == S.RAB_APPROVED:
        installation.approved_by = actor if getattr(actor, "pk", None) else None
        fields.append("approved_by")
    elif to == S.ACTIVE:
        _activate(actor, installation, data)
    return fields


def _activate(actor, installation, data) -> None:
    meter = required_text(
        data.get("meter_number"), field="meter_number", label=_("No. meter"), maximum=30
    )
    connection = (
        Connection.objects.select_for_update(of=("self",))
        .select_related("area__spam")
        .get(pk=installation.connection_id)
    )
    connection.meter_number = meter
    connection.save(update_fields=["meter_number"])
    if connection.status == ConnectionStatus.APPLIED:
        result = services.connection_move(
            actor=actor, connection=connection, status=ConnectionStatus.ACTIVE
        )
        data["audit"]["capacity_warnings"] = len(result.warnings)


# --------------------------------------------------------------------------- apply, move


def _installation_for_update(actor, installation_id) -> Installation:
    try:
        row = (
            Installation.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk=int(installation_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


def _installation(actor, installation_id) -> Installation:
    try:
        row = Installation.objects.visible_to(actor).filter(pk=int(installation_id)).first()
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


@dataclass(frozen=True)
class Applied:
    installation: Installation
    warnings: list[str]


@transaction.atomic
def installation_apply(*, actor, data: services.ConnectionInput) -> Applied:
    """Register an application for a new connection: the connection (status APPLIED, as
    ``connection_create``) and its installation at APPLIED, with the survey's SLA."""
    authz.require(actor, INSTALLATION_APPLY)
    result = services.connection_register(actor=actor, data=data)
    at = timezone.now()
    installation = Installation(connection=result.connection, created_at=at)
    _start_stage(installation, S.APPLIED, at)
    installation.save()
    audit.record(
        actor=actor,
        action=AuditAction.APPLY_INSTALLATION,
        obj=installation,
        meta={"connection": result.connection.pk, "capacity_warning": bool(result.warnings)},
    )
    events.emit(INSTALLATION_CREATED, actor=actor, installation=installation)
    installation_notify(actor=actor, obj=installation, to_status=S.APPLIED, revert=False)
    return Applied(installation, result.warnings)


@transaction.atomic
def installation_move(*, actor, installation_id, to: str, **data) -> Installation:
    """Take the step to ``to`` (the engine checks who may, and the guard)."""
    from amanah.workflow.contract import transition_apply

    installation = _installation_for_update(actor, installation_id)
    return transition_apply(actor=actor, obj=installation, to=to, **data)


@transaction.atomic
def installation_revert(*, actor, installation_id, reason: str) -> Installation:
    """Undo the last step with a reason (a compensating move, audited; nothing deleted)."""
    from amanah.workflow.contract import transition_revert

    installation = _installation_for_update(actor, installation_id)
    return transition_revert(actor=actor, obj=installation, reason=reason)


# --------------------------------------------------------------------------- RAB


@dataclass(frozen=True)
class RabLineInput:
    item: object
    qty: object
    unit_price: object


def _whole(value, *, field: str, label, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ServiceError(
            f"{field}_invalid",
            _("%(label)s harus bilangan bulat %(low)s–%(high)s.")
            % {
                "label": label,
                "low": f"{low:,}".replace(",", "."),
                "high": f"{high:,}".replace(",", "."),
            },
            field=field,
        )
    return value


def clean_rab_lines(lines) -> list[tuple[str, int, int]]:
    if not lines:
        raise ServiceError("rab_empty", _("RAB minimal satu baris."), field="lines")
    if len(lines) > RAB_LINES_MAX:
        raise ServiceError("rab_too_long", _("RAB maks. %d baris.") % RAB_LINES_MAX, field="lines")
    clean = []
    for line in lines:
        item = required_text(line.item, field="lines", label=_("Uraian"), maximum=200)
        qty = _whole(line.qty, field="lines", label=_("Volume"), low=1, high=QTY_MAX)
        price = _whole(
            line.unit_price, field="lines", label=_("Harga satuan"), low=0, high=PRICE_MAX
        )
        clean.append((item, qty, price))
    total = sum(qty * price for _i, qty, price in clean)
    if not 0 < total < AMOUNT_MAX:
        raise ServiceError(
            "rab_total_invalid", _("Jumlah RAB harus lebih dari nol."), field="lines"
        )
    return clean


@transaction.atomic
def rab_lines_set(*, actor, installation_id, lines: list[RabLineInput]) -> Installation:
    """Price the RAB (replacing the draft's lines) while the survey is done and the RAB not yet
    submitted; the actor becomes its author (who may not approve it)."""
    authz.require(actor, INSTALLATION_RAB)
    installation = _installation_for_update(actor, installation_id)
    if installation.status != S.SURVEYED:
        raise ServiceError(
            "rab_locked", _("RAB hanya dapat disusun setelah survei dan sebelum diajukan.")
        )
    clean = clean_rab_lines(lines)
    RabLine.objects.filter(installation=installation).delete()  # the draft's own lines
    RabLine.objects.bulk_create(
        RabLine(
            installation=installation,
            position=position,
            item=item,
            qty=qty,
            unit_price=price,
            total=qty * price,
        )
        for position, (item, qty, price) in enumerate(clean, start=1)
    )
    installation.rab_total = sum(qty * price for _i, qty, price in clean)
    installation.rab_author = actor if getattr(actor, "pk", None) else None
    installation.rab_author_ref = actor_ref(actor)
    installation.updated_at = timezone.now()
    installation.save(update_fields=["rab_total", "rab_author", "rab_author_ref", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.SAVE_RAB,
        obj=installation,
        meta={"lines": len(clean), "total": installation.rab_total},
    )
    events.emit(RAB_SAVED, actor=actor, installation=installation)
    return installation


def _first_due(value) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime) or not date_in_range(value):
        raise ServiceError(
            "first_due_invalid", _("Tanggal jatuh tempo tidak valid."), field="first_due"
        )
    if value < timezone.localdate():
        raise ServiceError(
            "first_due_past", _("Jatuh tempo pertama tidak boleh lampau."), field="first_due"
        )
    return value


SCHEDULE_PROBLEMS = {
    "schedule_size": gettext_noop("Rincian angsuran harus 1–%(max)d baris."),
    "installment_amount": gettext_noop("Setiap angsuran harus rupiah utuh lebih dari nol."),
    "schedule_order": gettext_noop("Tanggal jatuh tempo harus berurutan naik, tanpa kembar."),
    "schedule_sum": gettext_noop("Jumlah rincian angsuran harus sama persis dengan total RAB."),
}


@transaction.atomic
def rab_schedule_set(
    *,
    actor,
    installation_id,
    plan: str,
    count: int = 1,
    first_due: dt.date | None = None,
    rows: list[tuple[dt.date, int]] | None = None,
) -> Installation:
    """Set how an approved RAB is paid and bill it: FULL (one installment of the total) or
    INSTALLMENT (``count`` monthly installments from ``first_due``, the remainder on the
    first; or the hand-made ``rows`` — refused unless they sum exactly to the total). Once."""
    authz.require(actor, INSTALLATION_RAB)
    installation = _installation_for_update(actor, installation_id)
    if installation.status != S.RAB_APPROVED or installation.plan:
        raise ServiceError(
            "schedule_locked",
            _("Cara bayar ditetapkan sekali, setelah RAB disetujui."),
        )
    if plan not in PaymentPlan.values:
        raise ServiceError("plan_invalid", _("Cara bayar tidak dikenal."), field="plan")
    total = installation.rab_total
    first = _first_due(first_due if first_due is not None else timezone.localdate())
    if rows is not None and plan == PaymentPlan.INSTALLMENT:
        schedule = [(seq, due, amount) for seq, (due, amount) in enumerate(rows, start=1)]
        for _seq, due, _amount in schedule:
            _first_due(due)
    else:
        count = (
            1
            if plan == PaymentPlan.FULL
            else _whole(
                count,
                field="count",
                label=_("Jumlah angsuran"),
                low=2,
                high=math.MAX_INSTALLMENTS,
            )
        )
        if count > total:
            raise ServiceError(
                "count_invalid", _("Angsuran lebih banyak dari rupiahnya."), field="count"
            )
        schedule = math.plan(total, count, first)
    problem = math.schedule_problem(total, [(due, amount) for _s, due, amount in schedule])
    if problem is not None:
        raise ServiceError(
            problem,
            _(SCHEDULE_PROBLEMS[problem]) % {"max": math.MAX_INSTALLMENTS},
            field="rows",
        )
    Installment.objects.bulk_create(
        Installment(installation=installation, seq=seq, due_on=due, amount=amount)
        for seq, due, amount in schedule
    )
    today = timezone.localdate()
    installation.plan, installation.billed_on = plan, today
    installation.updated_at = timezone.now()
    installation.save(update_fields=["plan", "billed_on", "updated_at"])
    post_for(
        actor=actor,
        rule=RAB_BILL_RULE,
        source_key=f"utility.installation:{installation.pk}",
        date=today,
        description=_("Tagihan RAB %(number)s") % {"number": installation.number},
        amount=total,
    )
    audit.record(
        actor=actor,
        action=AuditAction.BILL_RAB,
        obj=installation,
        meta={"plan": plan, "installments": len(schedule), "total": total},
    )
    events.emit(RAB_BILLED, actor=actor, installation=installation)
    return installation


# --------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class RabApplied:
    receipt: Receipt
    allocations: list[tuple[int, int, int]]  # (installment id, principal, late fee)
    replay: bool = False


def allocate(installments, available: int) -> list[tuple[object, int, int]]:
    """Oldest installment first (due date, then number); in each its denda before its
    principal. Returns (installment, principal, late fee) for the parts that got money."""
    parts = []
    for row in sorted(installments, key=lambda r: (r.due_on, r.seq)):
        if available <= 0:
            break
        fee = min(available, row.late_fee - row.late_fee_paid)
        available -= fee
        principal = min(available, row.amount - row.paid)
        available -= principal
        if fee or principal:
            parts.append((row, principal, fee))
    return parts


@transaction.atomic
def rab_payment_apply(
    *,
    actor,
    installation_id,
    amount: int,
    reference: str,
    paid_on: dt.date | None = None,
    source: str = "cashier",
    cash_account: str = chart.KAS,
) -> RabApplied:
    """Apply a payment to a billed RAB's installments, oldest first (denda, then principal);
    what is left over becomes the connection's credit (used by its water bills). Idempotent
    by ``reference`` like a water-bill payment (one receipts table)."""
    authz.require(actor, PAYMENT_APPLY)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < AMOUNT_MAX:
        raise ServiceError(
            "amount_invalid", _("Jumlah harus rupiah utuh lebih dari nol."), field="amount"
        )
    reference = required_text(reference, field="reference", label=_("Referensi"), maximum=80)
    if cash_account not in CASH_ACCOUNTS:
        raise ServiceError("cash_account_invalid", _("Akun kas tidak dikenal."))
    installation = _installation_for_update(actor, installation_id)
    connection = Connection.objects.select_for_update(of=("self",)).get(
        pk=installation.connection_id
    )
    existing = Receipt.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.connection_id != connection.pk or existing.amount != amount:
            raise ServiceError(
                "reference_taken",
                _("Referensi pembayaran ini sudah dipakai untuk pembayaran lain."),
                field="reference",
            )
        rows = existing.installment_allocations.values_list(
            "installment_id", "principal", "late_fee"
        )
        return RabApplied(existing, list(rows), True)
    rows = list(Installment.objects.select_for_update().filter(installation=installation))
    if not rows:
        raise ServiceError("rab_not_billed", _("RAB belum ditagihkan (cara bayar belum ada)."))
    parts = allocate(rows, amount)
    principal = sum(p for _r, p, _f in parts)
    late_fee = sum(f for _r, _p, f in parts)
    to_credit = amount - principal - late_fee
    day = paid_on or timezone.localdate()
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                connection=connection,
                reference=reference,
                amount=amount,
                to_credit=to_credit,
                paid_on=day,
                source=f"rab:{source}"[:60],
            )
    except IntegrityError:
        raise ServiceError(
            "reference_taken", _("Referensi pembayaran ini baru saja dicatat."), field="reference"
        ) from None
    for row, part, fee in parts:
        Installment.objects.filter(pk=row.pk).update(
            paid=F("paid") + part, late_fee_paid=F("late_fee_paid") + fee
        )
    InstallmentAllocation.objects.bulk_create(
        InstallmentAllocation(receipt=receipt, installment=row, principal=part, late_fee=fee)
        for row, part, fee in parts
    )
    if to_credit:
        Connection.objects.filter(pk=connection.pk).update(credit=F("credit") + to_credit)
    post_for(
        actor=actor,
        rule=RAB_PAYMENT_RULE,
        source_key=f"utility.receipt:{receipt.pk}",
        date=day,
        description=_("Pembayaran RAB %(number)s") % {"number": installation.number},
        amount=amount,
        principal=principal,
        late_fee=late_fee,
        to_credit=to_credit,
        cash_account=cash_account,
    )
    audit.record(
        actor=actor,
        action=AuditAction.APPLY_RAB_PAYMENT,
        obj=receipt,
        meta={
            "amount": amount,
            "principal": principal,
            "late_fee": late_fee,
            "to_credit": to_credit,
            "installments": len(parts),
            "source": source[:60],
        },
    )
    events.emit(RAB_PAYMENT_APPLIED, actor=actor, receipt=receipt, installation=installation)
    return RabApplied(receipt, [(row.pk, part, fee) for row, part, fee in parts])


def payment_settled(*, actor, payment) -> None:
    """A settled gateway payment for a ``utility.installation`` (key: its id): applied to the
    RAB's installments by the utility's system actor (as water bills, ``accounts.py``)."""
    from amanah.core.actors import SystemActor
    from amanah.utility.accounts import GATEWAY_ACTOR

    if payment.payable_type != INSTALLATION_PAYABLE:
        return
    try:
        installation_id = int(payment.payable_key)
    except (ValueError, TypeError):
        return
    if not Installation.objects.filter(pk=installation_id).exists():
        return  # nothing of ours: reconciliation shows it
    settled = timezone.localdate(payment.settled_at) if payment.settled_at else None
    rab_payment_apply(
        actor=SystemActor(GATEWAY_ACTOR),
        installation_id=installation_id,
        amount=int(payment.paid_amount if payment.paid_amount is not None else payment.amount),
        reference=payment.order_id,
        paid_on=settled,
        source=f"gateway:{payment.provider}"[:50],
        cash_account=chart.DANA_GATEWAY,
    )


# --------------------------------------------------------------------------- late fees


def late_fee_rule() -> math.LateFeeRule:
    conf = settings.UTILITY_LATE_FEE
    return math.LateFeeRule(
        percent=Decimal(str(conf.get("percent", "2"))),
        flat=int(conf.get("flat", 0)),
        cap_percent=Decimal(str(conf.get("cap_percent", "10"))),
    )


@dataclass(frozen=True)
class Assessed:
    fees: int
    amount: int


@transaction.atomic
def late_fees_assess(*, actor, as_of: dt.date | None = None) -> Assessed:
    """Charge the denda of every overdue, unpaid installment up to ``as_of``: each month late
    once (a unique key), capped by the rule; one journal entry per fee. Idempotent: running
    it again the same day charges nothing."""
    authz.require(actor, BILLING_RUN)
    as_of = as_of or timezone.localdate()
    rule = late_fee_rule()
    overdue = (
        Installment.objects.select_for_update(of=("self",))
        .filter(due_on__lt=as_of, paid__lt=F("amount"))
        .select_related("installation")
        .order_by("id")
    )
    made = []
    for row in overdue:
        charged = dict(row.late_fees.values_list("months_late", "amount"))
        due = math.fees_due(
            rule,
            amount=row.amount,
            outstanding=row.amount - row.paid,
            months=math.months_late(row.due_on, as_of),
            charged=charged,
        )
        if not due:
            continue
        fees = LateFee.objects.bulk_create(
            LateFee(installment=row, months_late=month, amount=fee, assessed_on=as_of)
            for month, fee in due
        )
        Installment.objects.filter(pk=row.pk).update(
            late_fee=F("late_fee") + sum(fee for _m, fee in due)
        )
        for fee in fees:
            post_for(
                actor=actor,
                rule=LATE_FEE_RULE,
                source_key=f"utility.late_fee:{fee.pk}",
                date=as_of,
                description=_("Denda angsuran %(number)s ke-%(seq)d, bulan ke-%(month)d")
                % {"number": row.installation.number, "seq": row.seq, "month": fee.months_late},
                amount=fee.amount,
            )
        made += fees
    total = sum(fee.amount for fee in made)
    if made:
        audit.record(
            actor=actor,
            action=AuditAction.ASSESS_LATE_FEES,
            object_type="LATE_FEES",
            object_id=as_of.isoformat(),
            meta={"fees": len(made), "amount": total},
        )
        events.emit(LATE_FEES_ASSESSED, actor=actor, fee_ids=[fee.pk for fee in made])
    return Assessed(len(made), total)


# --------------------------------------------------------------------------- notices

NOTICES = {
    S.APPLIED: gettext_noop("Permohonan sambungan baru %(number)s telah kami terima."),
    S.SURVEYED: gettext_noop("Survei lokasi sambungan baru %(number)s telah dilakukan."),
    S.RAB_SUBMITTED: gettext_noop("RAB sambungan baru %(number)s sedang diperiksa."),
    S.RAB_APPROVED: gettext_noop(
        "RAB sambungan baru %(number)s disetujui: Rp %(total)s. Silakan lakukan pembayaran."
    ),
    S.PAID: gettext_noop("Pembayaran RAB %(number)s diterima; pemasangan dijadwalkan."),
    S.INSTALLED: gettext_noop("Sambungan baru %(number)s telah dipasang."),
    S.ACTIVE: gettext_noop("Meter sambungan %(number)s aktif. Selamat menikmati air bersih."),
}
REVERT_NOTICE = gettext_noop(
    "Tahap permohonan sambungan baru %(number)s dikoreksi oleh petugas: %(stage)s."
)
NOTICE_CHANNELS = (Channel.SMS, Channel.EMAIL)


def installation_notify(*, actor, obj, to_status, revert, **_ignored) -> None:
    """Tell the customer of a step (handler of ``utility.installation.transitioned``): one
    message per move (its ordinal keeps it idempotent), on the first channel the customer has
    an address for; the outbox checks contactability (a refused one is kept, cancelled, with
    its reason). A customer without any address is skipped."""
    from amanah.workflow.contract import times_moved_to

    installation = obj
    customer = installation.connection.customer
    channel = next((c for c in NOTICE_CHANNELS if getattr(customer, CUSTOMER_ADDRESS[c], "")), None)
    if channel is None:
        logger.info("utility: installation notice skipped (no address)")
        return
    with translation.override("id"):
        values = {
            "number": installation.number,
            "total": f"{installation.rab_total:,}".replace(",", "."),
            "stage": S(to_status).label,
        }
        text = _(REVERT_NOTICE if revert else NOTICES[S(to_status)]) % values
        subject = _("Sambungan baru %(number)s") % values
    ordinal = times_moved_to(WORKFLOW_KEY, installation, to_status) if to_status != S.APPLIED else 0
    message_queue(
        actor=actor,
        channel=channel,
        purpose=Purpose.SERVICE,
        rendered=Rendered(subject=subject, text=text),
        source=MessageSource.SYSTEM,
        source_id=f"installation:{installation.pk}",
        step=f"{to_status}:{ordinal}",
        customer=customer,
    )
