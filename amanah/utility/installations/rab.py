"""The RAB (cost estimate lines) and its payment plan (Rincian Angsuran), which bills it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.fields import date_in_range
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.ledger.contract import chart, post_for, simple_rule
from amanah.utility import installments as math
from amanah.utility.accounts import AMOUNT_MAX
from amanah.utility.installations.common import (
    PRICE_MAX,
    QTY_MAX,
    RAB_BILL_RULE,
    RAB_BILLED,
    RAB_LINES_MAX,
    RAB_SAVED,
    S,
    actor_ref,
    installation_for_update,
    whole,
)
from amanah.utility.models import (
    Installation,
    Installment,
    PaymentPlan,
    RabLine,
)
from amanah.utility.policies import (
    INSTALLATION_RAB,
)

RAB_BILL = simple_rule(
    gettext_noop("Tagihan RAB sambungan baru"),
    INSTALLATION_RAB,
    debit=chart.PIUTANG_SAMBUNGAN,
    credit=chart.PENDAPATAN_SAMBUNGAN,
)


@dataclass(frozen=True)
class RabLineInput:
    item: object
    qty: object
    unit_price: object


def clean_rab_lines(lines) -> list[tuple[str, int, int]]:
    if not lines:
        raise ServiceError("rab_empty", _("RAB minimal satu baris."), field="lines")
    if len(lines) > RAB_LINES_MAX:
        raise ServiceError("rab_too_long", _("RAB maks. %d baris.") % RAB_LINES_MAX, field="lines")
    clean = []
    for line in lines:
        item = required_text(line.item, field="lines", label=_("Uraian"), maximum=200)
        qty = whole(line.qty, field="lines", label=_("Volume"), low=1, high=QTY_MAX)
        price = whole(
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
    installation = installation_for_update(actor, installation_id)
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
    installation.rab_author = user_or_none(actor)
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
    installation = installation_for_update(actor, installation_id)
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
            else whole(
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
