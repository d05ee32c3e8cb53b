"""Three months of complaint history for the demo (issue 15: dashboards with figures).

About 150 complaints (``DEMO_GENERATED_COMPLAINTS``) of the generated customers, at their
home branches, over the categories, channels, priorities and products, received over the last
~90 days and worked
through the ordinary cases services — intake, assignment, first response, a pause waiting for
the customer now and then, the OJK extension, the final response, the close and a root cause —
so their activity lines, workflow history, audit rows and events are the real ones; CSAT and CES
surveys are sent after most closes and answered by about two customers in three.

**The demo clock.** The services read the time from ``django.utils.timezone.now`` (they take
no ``now=``), so each step runs under :func:`demo_clock` — the same patch the cases tests'
``at()`` uses — set to the moment the step happened: the SLA clocks, the working-day
arithmetic, the guards (an extension only while the case is open), the workflow history and
the audit rows all carry that moment. A case's activity lines take their time from a field
default bound at import (``default=now``), which the patch cannot reach: after each step the
lines that step wrote are given the step's moment (``_date_activities``, activity lines only;
the audit table is never updated). Everything is done as ``COMPLAINTS``, a labelled system
actor, so each generated row says where it came from, and the next start knows this part is
loaded by that label in the audit trail.

The events' in-transaction handlers run as usual (service recovery after a late answer, the
RM's follow-up after a close); the deferred ones are cancelled once the seed commits
(:func:`cancel_history_jobs`). Surveys are invited, and some answered, under the clock.

Outcomes come from a seeded generator, so a demo looks the same every time: most complaints
answered within their SLA and closed, some answered late (a share of the regulatory ones after
the one OJK extension), the recent ones still open — and a few left open past day 20 (the
LAPS candidates on the director's and compliance's pages). A moment that would fall after
"now" is not played: the case stays where it is, which is how the open ones come about.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from amanah.core.actors import SystemActor

COMPLAINTS = SystemActor("system:demo-complaints")
EVENT_TASK = "amanah.core.tasks.run_event_handler"  # the job of a deferred event handler
SEED = 20261125
DAYS = 92

CATEGORIES = [  # code, weight, products
    ("TRX_FAIL", 30, ("Tabungan", "Mobile banking", "Transfer antarbank")),
    ("CARD_ATM", 20, ("Kartu debit", "ATM")),
    ("DIGITAL_ACCESS", 18, ("Mobile banking", "Internet banking")),
    ("FEE_ADMIN", 12, ("Tabungan", "Giro", "Kartu debit")),
    ("LOAN_CREDIT", 9, ("KPR", "Kredit konsumtif", "KUR")),
    ("FRAUD_SCAM", 4, ("Tabungan", "Mobile banking")),
    ("OTHER", 7, ("Tabungan", "Layanan cabang")),
]
CHANNELS = [("CALL_CENTER", 35), ("BRANCH", 25), ("MOBILE", 20), ("WHATSAPP", 12), ("EMAIL", 8)]
PRIORITIES = [("MEDIUM", 55), ("LOW", 20), ("HIGH", 20), ("CRITICAL", 5)]
DESCRIPTIONS = {
    "TRX_FAIL": "Transfer Rp {amount} gagal tetapi saldo sudah terpotong.",
    "CARD_ATM": "Kartu tertelan di ATM saat tarik tunai Rp {amount}.",
    "DIGITAL_ACCESS": "Tidak dapat masuk aplikasi setelah ganti ponsel; aktivasi ulang gagal.",
    "FEE_ADMIN": "Biaya administrasi Rp {amount} terdebet dua kali bulan ini.",
    "LOAN_CREDIT": "Angsuran Rp {amount} sudah dibayar tetapi masih tercatat tertunggak.",
    "FRAUD_SCAM": "Transaksi Rp {amount} tidak dikenal setelah menerima tautan mencurigakan.",
    "OTHER": "Antrean layanan di kantor cabang terlalu lama; mohon perbaikan.",
}
RESOLUTIONS = {  # category: (code, final response)
    "TRX_FAIL": ("REFUND", "Dana transaksi yang gagal sudah dikembalikan ke rekening nasabah."),
    "CARD_ATM": ("CORRECTED", "Kartu pengganti sudah diterbitkan dan saldo sudah dicocokkan."),
    "DIGITAL_ACCESS": ("CORRECTED", "Akses aplikasi sudah dipulihkan setelah verifikasi ulang."),
    "FEE_ADMIN": ("REFUND", "Biaya yang terdebet dua kali sudah dikembalikan ke rekening."),
    "LOAN_CREDIT": ("CORRECTED", "Pembayaran angsuran sudah dibukukan; status kredit lancar."),
    "FRAUD_SCAM": ("EXPLAINED", "Hasil penelusuran sudah dijelaskan; kartu dan akses diganti."),
    "OTHER": ("EXPLAINED", "Penjelasan dan permohonan maaf sudah disampaikan kepada nasabah."),
}
# Surveys after the close: -1 not invited (the others are), 0 invited but not answered, else
# the customer's score (1–5); a late answer pleases fewer.
SCORES = [(-1, 30), (0, 25), (5, 24), (4, 14), (3, 4), (2, 2), (1, 1)]
SCORES_LATE = [(-1, 30), (0, 25), (5, 6), (4, 12), (3, 12), (2, 8), (1, 7)]
ROOT_CAUSES = [("SYSTEM_BUG", 35), ("PROCESS_GAP", 25), ("HUMAN_ERROR", 15), ("EXTERNAL", 25)]


def _pick(rng: random.Random, weighted):
    return rng.choices([k for k, *_ in weighted], weights=[w for _k, w, *_ in weighted])[0]


@contextmanager
def demo_clock(moment: datetime) -> Iterator[None]:
    """'Now' is ``moment`` for the services, the SLA arithmetic and the audit (demo only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(UTC)):
        yield


@dataclass(frozen=True)
class Plan:
    """What happens to one complaint (durations in hours, from a seeded generator)."""

    customer_id: object
    category: str
    channel: str
    priority: str
    product: str
    description: str
    received_at: datetime
    first_response_share: float  # of the first-response window (> 1: late)
    pause_days: float  # waiting for the customer (0: no pause)
    resolve_share: float  # of the resolution window left (> 1: late)
    extend: bool  # the OJK extension before a late answer
    stuck: bool  # never answered (open past day 20)
    close_after_hours: float
    root_cause: str
    survey_score: int  # CSAT (and CES) answer 1–5; 0: invited, no answer; -1: not invited


def plans(customers: list, count: int, now: datetime, seed: int = SEED) -> list[Plan]:
    """``count`` complaints of ``customers`` (``(pk, zone name)``), oldest first."""
    rng = random.Random(seed)
    made = []
    for _n in range(count):
        customer_id, zone = rng.choice(customers)
        category = _pick(rng, CATEGORIES)
        products = next(p for code, _w, p in CATEGORIES if code == category)
        priority = _pick(rng, PRIORITIES)
        if category == "FRAUD_SCAM":
            priority = rng.choice(("HIGH", "CRITICAL"))
        channel = _pick(rng, CHANNELS)
        local = (now - timedelta(days=rng.uniform(0.2, DAYS))).astimezone(ZoneInfo(zone))
        local = local.replace(hour=rng.randint(8, 19), minute=rng.randrange(60))
        if channel == "BRANCH" and local.weekday() == 6:  # branches are closed on Sunday
            local += timedelta(days=1)
        received = min(local, now - timedelta(hours=2))
        late = rng.random() < 0.25
        age_days = (now - received).total_seconds() / 86400
        made.append(
            Plan(
                customer_id=customer_id,
                category=category,
                channel=channel,
                priority=priority,
                product=rng.choice(products),
                description=DESCRIPTIONS[category].format(
                    amount=f"{rng.randrange(50, 5000) * 1000:,}".replace(",", ".")
                ),
                received_at=received,
                first_response_share=rng.uniform(1.1, 3) if rng.random() < 0.1 else rng.random(),
                pause_days=rng.uniform(1, 3) if rng.random() < 0.12 else 0,
                resolve_share=rng.uniform(1.05, 2.5) if late else rng.uniform(0.15, 0.95),
                extend=late and rng.random() < 0.35,
                # a few of the older ones, never a fraud case (it would hold offers back)
                stuck=category != "FRAUD_SCAM" and 24 < age_days < 60 and rng.random() < 0.1,
                close_after_hours=rng.uniform(1, 72),
                root_cause=_pick(rng, ROOT_CAUSES) if rng.random() < 0.5 else "",
                survey_score=_pick(rng, SCORES_LATE if late else SCORES),
            )
        )
    return sorted(made, key=lambda p: p.received_at)


def _date_activities(case, moment: datetime, started: datetime) -> None:
    """The activity lines the last step wrote (time from the field's default, the real clock)
    take the step's moment; lines dated earlier are left alone. Activity lines only."""
    from amanah.cases.models import CaseActivity

    CaseActivity.objects.filter(case=case, created_at__gte=started).update(created_at=moment)


def _handlers() -> dict:
    """Who takes a branch's complaints: its agents (the demo's agent and agent2); a branch
    without one (head office) keeps them unassigned."""
    from amanah.core.roles import RoleKey as R
    from amanah.iam import authz
    from amanah.iam.models import Branch, User

    handlers: dict = {}
    agents = [u for u in User.objects.filter(is_active=True) if R.AGENT in u.role_keys()]
    for branch in Branch.objects.all():
        handlers[branch.pk] = [
            u
            for u in agents
            if not authz.branch_scope(u).all_branches and authz.branch_scope(u).allows(branch.pk)
        ]
    return handlers


def cancel_history_jobs() -> int:
    """Cancel the deferred reactions to the generated history still waiting in the events
    queue (receipt PDFs, status notices, survey invitations); returns how many.

    They would have run at the time, months ago; run today they would send customers receipts
    for old complaints and hold the demo's worker for minutes (about five jobs a complaint)
    ahead of the script's own. A receipt not issued is issued when the case page asks for it.
    Only jobs whose actor is ``COMPLAINTS`` are cancelled (through procrastinate, so they stay
    listed as cancelled); the other parts' jobs run as usual.
    """
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.models import ProcrastinateJob

    waiting = ProcrastinateJob.objects.filter(
        queue_name="events",
        task_name=EVENT_TASK,
        status="todo",
        args__actor__after=COMPLAINTS.username,  # core.events: what a system actor set off
    ).values_list("id", flat=True)
    return sum(app.job_manager.cancel_job_by_id(job_id) for job_id in list(waiting))


def seed_complaints(customers, count: int | None = None) -> int:
    """Play the plans through the cases services under the demo clock; returns the number of
    complaints made. Runs inside the demo's transaction; once it commits, the history's
    deferred jobs are cancelled (:func:`cancel_history_jobs`)."""
    from django.db import transaction

    started = timezone.now()  # the real clock: every played moment is before it
    now = started - timedelta(minutes=1)
    count = settings.DEMO_GENERATED_COMPLAINTS if count is None else count
    pool = [(c.pk, c.home_branch.timezone) for c in customers]
    if not pool:
        return 0
    by_pk = {c.pk: c for c in customers}
    handlers = _handlers()
    rng = random.Random(SEED + 1)
    made = 0
    for plan in plans(pool, count, now):
        _play(plan, by_pk[plan.customer_id], handlers, rng, now, started)
        made += 1
    # After the deferrals the history registered (callbacks run in the order they were added).
    transaction.on_commit(cancel_history_jobs)
    return made


def _play(plan: Plan, customer, handlers: dict, rng: random.Random, now, started) -> None:
    """One complaint from intake to where ``now`` finds it."""
    from amanah.cases import services as cases
    from amanah.cases.models import CaseStatus as S

    def step(moment: datetime, service, **kwargs):
        """``service`` at ``moment`` (the case it returns), or None when that is after now."""
        if moment >= now:
            return None
        with demo_clock(moment):
            result = service(actor=COMPLAINTS, **kwargs)
        _date_activities(result, moment, started)
        return result

    at = plan.received_at
    data = cases.CaseInput(
        customer=customer,
        channel=plan.channel,
        category_code=plan.category,
        priority=plan.priority,
        product=plan.product,
        description=plan.description,
    )
    case = step(at, cases.case_create, data=data)
    agents = handlers.get(case.branch_id) or []
    if agents:
        assigned = at + timedelta(minutes=rng.randint(5, 90))
        case = step(assigned, cases.case_assign, case=case, assignee=rng.choice(agents)) or case
    moment = at + (case.first_response_due_at - at) * plan.first_response_share
    case = step(
        moment,
        cases.case_change_status,
        case=case,
        to_status=S.IN_PROGRESS,
        note="Pengaduan sedang ditelusuri.",
    )
    if case is None:
        return
    if plan.pause_days:
        moment += timedelta(hours=2)
        case = step(
            moment,
            cases.case_change_status,
            case=case,
            to_status=S.WAITING_INFO,
            note="Menunggu bukti transaksi dari nasabah.",
        )
        if case is None:
            return
        moment += timedelta(days=plan.pause_days)
        case = step(
            moment,
            cases.case_change_status,
            case=case,
            to_status=S.IN_PROGRESS,
            note="Bukti transaksi sudah diterima.",
        )
    if case is None or plan.stuck:
        return
    share = plan.resolve_share
    policy = case.sla_policy
    if plan.extend and policy.regulatory and policy.extension_days:
        moment = max(moment + timedelta(hours=1), case.sla_due_at - timedelta(hours=6))
        case = step(
            moment,
            cases.case_extend,
            case=case,
            customer_notified=True,
            reason="Penelusuran dengan pihak ketiga memerlukan waktu tambahan.",
        )
        if case is None:
            return
        share = min(share - 0.6, 0.95)  # answered within the extended period
    moment += (case.sla_due_at - moment) * share
    code, text = RESOLUTIONS[plan.category]
    case = step(moment, cases.case_final_response, case=case, text=text, resolution_code=code)
    if case is None:
        return
    moment += timedelta(hours=plan.close_after_hours)
    case = step(moment, cases.case_close, case=case)
    if case is None:
        return
    if plan.root_cause:
        step(
            moment + timedelta(minutes=30),
            cases.case_set_root_cause,
            case=case,
            root_cause=plan.root_cause,
        )
    if plan.survey_score >= 0:
        answered = moment + timedelta(hours=1 + plan.close_after_hours / 2)
        _answer_survey(case, moment + timedelta(minutes=45), answered, plan.survey_score, now)


def _answer_survey(case, invited: datetime, answered: datetime, score: int, now) -> None:
    """The close's invitations (CSAT, and CES for some categories) sent under the demo clock,
    and the customer's answer (``score`` > 0) through the public page's service. (The close's
    own deferred invitation job is cancelled with the history's other jobs.)"""
    from amanah.surveys.handlers import invite_after_close
    from amanah.surveys.models import InvitationStatus
    from amanah.surveys.services import SURVEY_RESPONDENT, response_record

    if answered >= now:
        return
    with demo_clock(invited):
        invitations = invite_after_close(actor=COMPLAINTS, case=case)
    for invitation in invitations:
        if score and invitation.status == InvitationStatus.SENT:
            with demo_clock(answered):
                response_record(
                    actor=SURVEY_RESPONDENT, invitation=invitation, score=score, at=answered
                )
