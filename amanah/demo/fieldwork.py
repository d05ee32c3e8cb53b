"""Field work orders in both demos (seed 002 Find&Go; issue 50, 6), played through the ordinary
services as the deployment's own jobs and staff would — so the field screens (the work-order
list, the maps, the agent's day, the offline app, monitoring and its downloads) are not empty
on the first start:

- **bank** (``seed_bank_fieldwork``): a day's loan-arrears file from core banking, imported
  through the batch import (``fieldops.loan_arrears``: DPD, outstanding, instalments due, the
  address and, for most, its geocoded point) for a share of the customers who hold a loan;
  the daily generation a week ago by the job's rule (``BANK_RULE``) and the assignment to each
  branch's agents; a few of the agent's results since (a promise to pay, an ATK whose new
  position waits for the supervisor's decision, a customer not met).
- **PDAM** (``seed_pdam_fieldwork``): the utility's admin leaves field visits to the field
  staff (customer service, at the counter, no longer holds ``fieldops.wo.work``: its work
  orders go to the technician); last week's cycle — work orders generated from the water bills
  in arrears (``utility.bills``, located at the installation's GPS), assigned, visited by the
  technician on the days that followed (every outcome of a VOC; an ATK's corrected position
  accepted by the supervisor), a door payment posted by the cashier, and the cycle closed by
  the supervisor (promises to pay and a correction still waiting are kept open). The
  pelanggan still in arrears are waiting for this week's generation: the demo script's first
  step (docs/demo.md, "Find&Go").

Every moment is set with the demo clock (``demo.complaints.demo_clock``), and each visit is
made inside its customer's collection contact window (``consent.contact_hours``: the rule the
visit is checked by), so no seeded result is a conflict whatever the hour of the seed.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from amanah.consent.contract import Purpose, contact_hours
from amanah.core.roles import RoleKey as R
from amanah.demo.complaints import demo_clock
from amanah.fieldops import generate, services, visits
from amanah.fieldops.models import Outcome, VisitResult, WorkOrder, WoStatus
from amanah.fieldops.policies import WO_MANAGE, WO_WORK
from amanah.iam.models import Branch, User
from amanah.iam.selectors import holders_of

SEED = 20261129
LOAN_SOURCE = "fieldops.loan_arrears"
WATER_SOURCE = "utility.bills"
# The bank's daily job: 30 days past due and Rp 1.000.000 at least; the PDAM's: any bill past due.
BANK_RULE = generate.Rule(min_days=30, min_amount=Decimal("1000000"))
PDAM_RULE = generate.Rule(min_days=1, min_amount=Decimal(0))
CYCLE_DAYS = 7  # the seeded cycle began a week ago
# Where the bank's branches are (the geocoded points of the arrears file lie around them).
CITIES = {"PMS": (2.9595, 99.0687)}
MEDAN = (3.5952, 98.6722)
STREETS = ["Jl. Gatot Subroto", "Jl. Sisingamangaraja", "Jl. Setia Budi", "Jl. Kapten Muslim",
           "Jl. Merdeka", "Jl. Sutomo", "Jl. Diponegoro", "Jl. Ahmad Yani"]  # fmt: skip
VILLAGES = ["Sei Sikambing", "Sidorejo", "Titi Kuning", "Helvetia", "Bantan", "Martoba"]


def _rng(salt: int) -> random.Random:
    return random.Random(SEED + salt)


def _as(user: User, role: str) -> User:
    user.active_role = role
    return user


def _around(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[float, float]:
    return (
        round(centre[0] + rng.uniform(-km, km) / 111.32, 6),
        round(centre[1] + rng.uniform(-km, km) / 111.32, 6),
    )


# --------------------------------------------------------------------------- moments


def visit_moments(customer, *, count: int, until: datetime, days: int) -> list[datetime]:
    """Up to ``count`` moments for visits to ``customer``'s neighbourhood, spread over its
    collection contact windows (consent's schedule: zone, holidays, the branch's closed days)
    in the ``days`` before ``until``: from an hour and a half into a window, 25 minutes apart,
    never past its end or ``until``; oldest first. Without windows (contact windows off),
    08.00–18.00 UTC+7 of each day."""
    since = until - timedelta(days=days)
    windows = contact_hours(customer, Purpose.COLLECTION, since, days=days + 1)
    if windows is None:
        first = since.replace(hour=1, minute=0, second=0, microsecond=0)
        windows = [
            (first + timedelta(days=n), first + timedelta(days=n, hours=10))
            for n in range(days + 1)
        ]
    slots = []
    for start, end in windows:
        at = start + timedelta(minutes=90)
        while at < min(end, until):
            if at > since:
                slots.append(at)
            at += timedelta(minutes=25)
    if not slots:
        return []
    count = min(count, len(slots))
    return [slots[n * len(slots) // count] for n in range(count)]


def generate_and_assign(actor, *, source: str, rule: generate.Rule, at: datetime) -> int:
    """The daily job's work at ``at``: work orders from ``source`` by ``rule`` in every branch,
    then the new ones given to their branch's agents."""
    with demo_clock(at):
        created = generate.work_orders_generate(actor=actor, source=source, rule=rule)
        generate.work_orders_assign(actor=actor)
    return created


def visit(agent, wo: WorkOrder, outcome: str, *, at: datetime, **fields) -> VisitResult:
    """The agent's result at the door at ``at``, with the phone's position (a few metres from
    the work order's point; ``position`` to say where it really was)."""
    lat, lon = fields.pop("position", (wo.latitude + 0.00004, wo.longitude - 0.00003))
    with demo_clock(at):
        return visits.visit_record(
            actor=agent,
            data=visits.VisitInput(
                work_order_id=wo.pk,
                idempotency_key=f"demo-voc-{wo.pk}",
                outcome=outcome,
                captured_at=at - timedelta(minutes=4),
                latitude=lat,
                longitude=lon,
                accuracy_m=8.0,
                **fields,
            ),
        )


def _plan(wo: WorkOrder, outcome: str, at: datetime, rng: random.Random) -> dict:
    """The fields of a result of ``outcome`` (a promise to pay: part of the arrears, within a
    week of the visit; a payment at the door: all of it; an ATK: the house found 150 m away)."""
    if outcome == Outcome.PROMISE:
        share = Decimal(rng.choice([30, 50, 100])) / 100
        amount = max(Decimal(10_000), (wo.outstanding * share).quantize(Decimal(1000)))
        day = timezone.localtime(at).date() + timedelta(days=rng.randint(3, 7))
        return {"promise_date": day, "promise_amount": amount, "note": "Janji bayar saat gajian."}
    if outcome == Outcome.MET_PAID:
        return {"paid_amount": wo.outstanding, "note": "Dibayar tunai, kuitansi diberikan."}
    if outcome == Outcome.ATK:
        return {
            "position": (wo.latitude + 0.0011, wo.longitude + 0.0007),
            "position_confirmed": True,
            "note": "Nomor rumah tidak ada; rumah ditemukan di gang sebelah.",
        }
    notes = {
        Outcome.NOT_MET: "Rumah tertutup, tetangga bilang pemilik bekerja.",
        Outcome.MET_REFUSED: "Pelanggan keberatan dengan jumlah tagihan.",
        Outcome.EMPTY: "Rumah kosong, tampak tidak dihuni.",
    }
    return {"note": notes.get(outcome, "")}


# --------------------------------------------------------------------------- bank

BANK_SHARE = 4  # one loan customer in four is in arrears in the day's file
BANK_MIN_PER_BRANCH = 4


def _loan_arrears_csv(customers, as_of, rng: random.Random) -> bytes:
    """The core-banking file: one or two loan accounts per customer in arrears."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["CIF", "Nomor rekening pinjaman", "Per tanggal", "Hari tunggakan (DPD)",
                     "Tunggakan (rupiah)", "Tanggal bayar terakhir", "Angsuran tertunggak",
                     "Alamat", "Lintang", "Bujur"])  # fmt: skip
    for n, (cif, branch_code) in enumerate(customers, start=1):
        for account in range(1 if rng.random() < 0.8 else 2):
            dpd = rng.choice([12, 35, 48, 65, 95, 120, 185, 40, 75, 150])
            street = f"{rng.choice(STREETS)} No. {rng.randint(1, 240)}"
            rt_rw = (
                ""
                if rng.random() < 0.2
                else f", RT {rng.randint(1, 15):02d} RW {rng.randint(1, 9):02d}"
            )
            point = (
                _around(rng, CITIES.get(branch_code[:3], MEDAN), 5)
                if rng.random() < 0.85
                else ("", "")
            )
            writer.writerow(
                [
                    cif,
                    f"KR{n:05d}{account}",
                    as_of.isoformat(),
                    dpd,
                    rng.randrange(800_000, 25_000_000, 50_000),
                    (as_of - timedelta(days=dpd + rng.randint(0, 20))).isoformat(),
                    max(1, dpd // 30),
                    f"{street}{rt_rw}, Kel. {rng.choice(VILLAGES)}",
                    *point,
                ]
            )
    return out.getvalue().encode()


def _import_loan_arrears(actor, content: bytes) -> None:
    """Through the batch import, as the core-banking file arrives every day: upload, the dry
    run, the run."""
    from amanah.integrations import imports

    batch = imports.import_batch_create(
        actor=actor, target=LOAN_SOURCE, file_name="tunggakan-pinjaman.csv", content=content
    )
    imports.import_mapping_set(
        actor=actor, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    imports.batch_check(batch.pk)
    imports.import_batch_run(actor=actor, batch_id=batch.pk)
    imports.batch_run(batch.pk)


def _loan_customers(rng: random.Random, exclude_cifs) -> list[tuple[str, str]]:
    """(CIF, branch code) of the loan holders in the day's file: one in ``BANK_SHARE``, and at
    least ``BANK_MIN_PER_BRANCH`` of each branch (a small demo still shows each team's map)."""
    from amanah.customers.models import CustomerIdentifier

    rows = (
        CustomerIdentifier.objects.filter(
            id_type="CIF",
            customer__has_loan=True,
            customer__merged_into__isnull=True,
            customer__status="ACTIVE",
        )
        .exclude(id_value__in=list(exclude_cifs))
        .order_by("id_value")
        .values_list("id_value", "customer__home_branch__code")
    )
    taken: Counter = Counter()
    chosen = []
    for cif, branch in rows:
        if taken[branch] < BANK_MIN_PER_BRANCH or rng.randrange(BANK_SHARE) == 0:
            taken[branch] += 1
            chosen.append((cif, branch))
    return chosen


def seed_bank_fieldwork(actor, *, exclude_cifs=()) -> None:
    """The bank demo's field work (module docstring); ``exclude_cifs``: the script's customers,
    whose pages the script shows as they are."""
    rng = _rng(1)
    now = timezone.now()
    start = now - timedelta(days=CYCLE_DAYS)
    customers = _loan_customers(rng, exclude_cifs)
    if not customers:
        return
    with demo_clock(start):
        _import_loan_arrears(actor, _loan_arrears_csv(customers, timezone.localdate(), rng))
    generate_and_assign(actor, source=LOAN_SOURCE, rule=BANK_RULE, at=start + timedelta(hours=1))
    agent = User.objects.filter(username="agent").first()
    if agent is None:
        return
    _as(agent, R.AGENT)
    mine = list(
        WorkOrder.objects.filter(agent=agent, status=WoStatus.ASSIGNED, latitude__isnull=False)
        .select_related("customer")
        .order_by("id")[:3]
    )
    if not mine:
        return
    outcomes = [Outcome.PROMISE, Outcome.ATK, Outcome.NOT_MET]
    until = now - timedelta(hours=6)
    moments = visit_moments(mine[0].customer, count=len(mine), until=until, days=CYCLE_DAYS - 1)
    for wo, outcome, at in zip(mine, outcomes, moments, strict=False):
        visit(agent, wo, outcome, at=at, **_plan(wo, outcome, at, rng))


# --------------------------------------------------------------------------- PDAM

PDAM_UNIT = "UPKOT"  # the unit with field staff (the demo's supervisor and technician)
PDAM_OUTCOMES = [Outcome.NOT_MET, Outcome.PROMISE, Outcome.ATK, Outcome.MET_REFUSED,
                 Outcome.MET_PAID, Outcome.EMPTY, Outcome.NOT_MET, Outcome.PROMISE]  # fmt: skip
PDAM_VISITED_SHARE = 0.6
PDAM_VISITS_MAX = 40


def _field_staff_only(admin: User) -> None:
    """Customer service works at the counter: the admin takes field visits off its role in the
    permission matrix (audited CHANGE_RBAC), so the generation gives them to field staff."""
    from amanah.iam.models import RolePermission
    from amanah.iam.services.rbac import rbac_matrix_save

    grants = set(RolePermission.objects.values_list("role_id", "permission"))
    if (R.AGENT.value, WO_WORK) in grants:
        rbac_matrix_save(actor=_as(admin, R.ADMIN), grants=grants - {(R.AGENT.value, WO_WORK)})


def _unit_staff(unit: Branch) -> tuple[User | None, User | None]:
    """The unit's supervisor (manages work orders there) and field agent (at home there)."""
    supervisor = (
        holders_of(WO_MANAGE, branch_ids=[unit.pk]).filter(home_branch=unit).order_by("username")
    ).first()
    agent = generate.territory_agents(unit.pk)
    return (
        _as(supervisor, R.SUPERVISOR) if supervisor else None,
        _as(agent[0], R.RM) if agent else None,
    )


def _door_payment(actor, wo: WorkOrder, result, at: datetime) -> None:
    """The cashier posts the money the agent brought back (oldest bill first)."""
    from amanah.ledger import chart
    from amanah.utility.accounts import payment_apply
    from amanah.utility.models import Connection

    connection = Connection.objects.get(customer_id=wo.customer_id)
    payment_apply(
        actor=actor,
        connection_id=connection.pk,
        amount=int(result.paid_amount),
        reference=f"DEMO-LAPANGAN-{result.pk}",
        paid_on=timezone.localtime(at).date(),
        source="field",
        cash_account=chart.KAS,
    )


def seed_pdam_fieldwork(actor) -> None:
    """The PDAM demo's field work (module docstring)."""
    admin = User.objects.filter(username="admin").first()
    if admin is not None:
        _field_staff_only(admin)
    unit = Branch.objects.filter(code=PDAM_UNIT).first()
    rng = _rng(2)
    now = timezone.now()
    start = now - timedelta(days=CYCLE_DAYS)
    generate_and_assign(actor, source=WATER_SOURCE, rule=PDAM_RULE, at=start)
    if unit is None:
        return
    supervisor, agent = _unit_staff(unit)
    if agent is None or supervisor is None:
        return
    assigned = list(
        WorkOrder.objects.filter(agent=agent, status=WoStatus.ASSIGNED, latitude__isnull=False)
        .select_related("customer")
        .order_by("id")
    )
    count = min(PDAM_VISITS_MAX, round(len(assigned) * PDAM_VISITED_SHARE))
    until = now - timedelta(hours=6)
    moments = visit_moments(assigned[0].customer, count=count, until=until, days=CYCLE_DAYS - 1)
    done = []
    for n, (wo, at) in enumerate(zip(assigned, moments, strict=False)):
        outcome = PDAM_OUTCOMES[n % len(PDAM_OUTCOMES)]
        result = visit(agent, wo, outcome, at=at, **_plan(wo, outcome, at, rng))
        done.append((wo, result))
        if outcome == Outcome.MET_PAID:
            with demo_clock(at + timedelta(hours=3)):
                _door_payment(actor, wo, result, at)
    if done:
        _close_the_cycle(supervisor, done, at=now - timedelta(hours=2))


def _correction_of(result):
    from amanah.fieldops.models import CoordinateCorrection

    return CoordinateCorrection.objects.filter(visit=result).first()


def _close_the_cycle(supervisor: User, done: list, *, at: datetime) -> None:
    """The supervisor's end of the cycle: the first ATK's corrected position accepted (the next
    work order starts from it), the others left to decide; the visited work orders closed but
    for the promises to pay (followed up on their date) and the ATKs still to decide."""
    corrections = [c for _wo, r in done if (c := _correction_of(r)) is not None]
    with demo_clock(at):
        if corrections:
            visits.correction_decide(actor=supervisor, correction_id=corrections[0].pk, accept=True)
        waiting = {c.work_order_id for c in corrections[1:]}
        for wo, result in done:
            if result.outcome == Outcome.PROMISE or wo.pk in waiting:
                continue
            services.work_order_move(actor=supervisor, work_order_id=wo.pk, to=WoStatus.CLOSED)
