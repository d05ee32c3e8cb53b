"""The supervisor's SLA queue and the SLA sweep at a million cases: raw SQL vs selector vs HTTP.

    AMANAH_ENV=demo .venv/bin/python -m bench.cases_bench            # or: make bench
    ... -m bench.cases_bench --rebuild          # regenerate the cases
    ... -m bench.cases_bench --explain          # also print EXPLAIN (ANALYZE, BUFFERS)
    ... -m bench.cases_bench --cases 20000 --queries 50   # a quick look (no report)

Same approach as ``bench.search_bench`` (and the same database, ``amanah_bench``): the customers
and branches it loaded are reused (loaded here first when missing), and the cases are generated
(deterministic seed) and loaded with COPY: 1,000,000 cases over 100 branches, 70 % resolved or
closed (with a final response, so the database's CHECK holds), 30 % open across NEW /
IN_PROGRESS / WAITING_INFO / ESCALATED, received over the last 18 months, each on the seeded SLA
policy of its category × priority with its deadlines computed by the app's own working-time
arithmetic (``amanah.calendars.worktime`` on the branch's schedule; checked against
``cases.sla.deadlines`` on a sample). The data set is anchored at the moment it was loaded, so the
open cases lie before their warning, between warning and due time, or overdue; it is regenerated
when it is older than two days.

One run measures, after a warm-up pass, for a SUPERVISOR whose scope is three branches:
  raw       the queue query hand-written in SQL (from ``str(queue(...).query)``) via psycopg;
  selector  ``cases.selectors.queue_page`` in-process (permission, scope, keyset, 51 rows);
  http      ``GET /cases/queue/`` on a real gunicorn started (and stopped) here, session login;
for the default queue, overdue only, one category, and later keyset pages. Then one
``cases.sweep.sla_sweep()`` over every open case, after resetting the sweep's marks (warned,
breached, OJK day 20, statuses, its notifications and activity lines; the audit trail is
append-only and keeps growing), and a second sweep right after it (idempotent: no work; after
the VACUUM ANALYZE that autovacuum would run after the first run's ~500,000 row changes).
Results are printed and written to docs/benchmarks.md (section ``cases``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import urllib.parse
import uuid
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from types import SimpleNamespace

from bench.search_bench import (
    MARKER_TABLE,
    N_BRANCHES,
    PASSWORD,
    ROOT,
    Gunicorn,
    Stats,
    _pg,
    _secondary_indexes,
    dataset_info,
    describe_dataset,
    ensure_branches,
    fmt,
    load_average,
    load_dataset,
    login,
    machine,
    server_settings,
    setup_django,
    target_line,
    write_report,
)
from bench.search_bench import SEED as CUSTOMER_SEED

SEED = 20260601
N_CASES = 1_000_000
OPEN_SHARE = 0.30
HISTORY_DAYS = 548  # ~18 months
STALE_AFTER = timedelta(days=2)
TARGET_QUEUE_P95_MS = 100.0
TARGET_SWEEP_SECONDS = 10.0
# The sweep runs measured, in order: label -> (clock, lanes). The catch-up after the reset
# (clock None: every mark due since the data set was generated, as after a long worker outage),
# then the per-minute job's ordinary work — the run one *working* minute later and one working
# hour later on the scope's first branch calendar (on a weekend or at night wall-clock time
# moves no SLA clock, so wall-clock offsets would find nothing to do) — then that hour again
# (idempotent); last, the catch-up again after a second reset on one lane, whose statements the
# bench can time one by one (lanes None: the app's SLA_SWEEP_LANES).
SWEEP_RUNS = {
    "catch-up after reset": (None, None),
    "the next working minute": (1, None),
    "one working hour later": (60, None),
    "the same hour again": (60, None),
    "catch-up after reset, one lane": (None, 1),
}
AGENTS_PER_BRANCH = 3
CHUNK = 50_000
OPEN = ["NEW", "IN_PROGRESS", "WAITING_INFO", "ESCALATED"]

# --------------------------------------------------------------------------- vocabulary

CATEGORY_WEIGHTS = {
    "TRX_FAIL": 30,
    "DIGITAL_ACCESS": 20,
    "CARD_ATM": 18,
    "FEE_ADMIN": 12,
    "LOAN_CREDIT": 8,
    "FRAUD_SCAM": 6,
    "OTHER": 6,
}
PRIORITY_WEIGHTS = {"LOW": 25, "MEDIUM": 45, "HIGH": 22, "CRITICAL": 8}
FRAUD_PRIORITY_WEIGHTS = {"LOW": 2, "MEDIUM": 18, "HIGH": 45, "CRITICAL": 35}
CHANNEL_WEIGHTS = {"CALL_CENTER": 35, "BRANCH": 25, "MOBILE": 20, "WHATSAPP": 12, "EMAIL": 8}
OPEN_STATUS_WEIGHTS = {"NEW": 25, "IN_PROGRESS": 45, "WAITING_INFO": 15, "ESCALATED": 15}

PRODUCTS = {
    "TRX_FAIL": ["Tabungan Amanah", "Transfer antarbank", "BI-FAST", "Virtual account"],
    "DIGITAL_ACCESS": ["Mobile banking", "Internet banking", "QRIS"],
    "CARD_ATM": ["Kartu debit", "ATM", "Kartu kredit"],
    "FEE_ADMIN": ["Tabungan Amanah", "Giro", "Kartu kredit"],
    "LOAN_CREDIT": ["KPR", "KUR", "Kredit multiguna", "Kartu kredit"],
    "FRAUD_SCAM": ["Mobile banking", "Tabungan Amanah", "Kartu debit"],
    "OTHER": ["Layanan cabang", "Call center", ""],
}
BANKS = ["BRI", "BNI", "Mandiri", "BCA", "BSI", "Bank Sumut", "CIMB Niaga", "Danamon"]
DESCRIPTIONS = {
    "TRX_FAIL": [
        "Transfer ke rekening {bank} sebesar Rp{amount} gagal, tetapi saldo sudah terpotong.",
        "Pembayaran virtual account Rp{amount} tidak masuk ke penerima sejak {day}.",
        "Transaksi BI-FAST Rp{amount} berstatus gagal namun dana belum kembali.",
    ],
    "DIGITAL_ACCESS": [
        "Tidak bisa masuk mobile banking sejak {day}, muncul pesan kode aktivasi tidak valid.",
        "OTP tidak terkirim ke nomor terdaftar saat login internet banking.",
        "Akun mobile banking terblokir setelah ganti HP, mohon dibuka kembali.",
    ],
    "CARD_ATM": [
        "Kartu debit tertelan di ATM {bank} pada {day}, mohon dibantu penggantian.",
        "Tarik tunai Rp{amount} di ATM, uang tidak keluar tetapi saldo berkurang.",
        "Kartu kredit ditolak di merchant padahal limit masih cukup.",
    ],
    "FEE_ADMIN": [
        "Ada potongan biaya administrasi Rp{amount} yang tidak saya kenali bulan ini.",
        "Biaya tahunan kartu kredit ditagih padahal dijanjikan gratis.",
    ],
    "LOAN_CREDIT": [
        "Angsuran {day} sudah dibayar tetapi masih tercatat tunggakan dan ada denda.",
        "Mohon penjelasan perhitungan bunga KPR yang naik tanpa pemberitahuan.",
        "Pengajuan restrukturisasi kredit belum ada kabar sejak {day}.",
    ],
    "FRAUD_SCAM": [
        "Saya ditelepon mengaku petugas bank dan memberikan OTP, saldo Rp{amount} hilang.",
        "Ada transaksi QRIS Rp{amount} yang tidak saya lakukan pada {day}.",
        "Menerima tautan undangan pernikahan di WhatsApp, setelah dibuka rekening terkuras.",
    ],
    "OTHER": [
        "Pelayanan di kantor cabang lambat, antrean lebih dari dua jam pada {day}.",
        "Permintaan rekening koran {day} belum dikirim ke email.",
    ],
}
FINAL_RESPONSES = [
    "Dana sebesar Rp{amount} telah dikembalikan ke rekening Bapak/Ibu pada {day}.",
    "Kartu pengganti sudah dicetak dan dapat diambil di kantor cabang mulai {day}.",
    "Setelah pemeriksaan, transaksi tercatat berhasil di bank penerima; bukti sudah kami kirim.",
    "Akses mobile banking telah diaktifkan kembali; silakan login dengan kode aktivasi baru.",
    "Biaya Rp{amount} dikoreksi dan dikreditkan kembali; mohon maaf atas ketidaknyamanannya.",
    "Penjelasan perhitungan bunga dan jadwal angsuran terbaru telah kami sampaikan tertulis.",
    "Laporan penipuan diteruskan ke unit fraud; rekening tujuan sudah diblokir sementara.",
]
RESOLUTION_CODES = [
    "REFUND",
    "EXPLAINED",
    "CARD_REPLACED",
    "ACCESS_RESTORED",
    "FEE_REVERSED",
    "CHARGEBACK",
    "NO_FAULT",
    "FORWARDED",
]
ROOT_CAUSES = ["SYSTEM_BUG", "PROCESS_GAP", "HUMAN_ERROR", "EXTERNAL"]
CONTACT = ["Telepon", "WhatsApp", "Email", "SMS", ""]

CASE_COLS = [
    "id",
    "case_no",
    "customer_id",
    "branch_id",
    "channel",
    "category_id",
    "priority",
    "status",
    "description",
    "product",
    "contact_preference",
    "sla_policy_id",
    "received_at",
    "first_response_due_at",
    "first_responded_at",
    "warn_at",
    "sla_due_at",
    "regulatory_deadline_at",
    "paused_at",
    "paused_minutes",
    "warned_at",
    "breached_at",
    "regulatory_overdue_at",
    "extended_at",
    "extension_reason",
    "escalation_level",
    "assigned_to_id",
    "created_by_id",
    "final_response",
    "resolved_at",
    "closed_at",
    "closed_by_id",
    "resolution_code",
    "root_cause",
    "created_at",
    "updated_at",
]
ACT_COLS = ["case_id", "activity_type", "message", "actor_id", "actor_label", "meta", "created_at"]


def _cum(weights: dict) -> tuple[list, list]:
    return list(weights), list(accumulate(weights.values()))


def _pick(rng: random.Random, table: tuple[list, list]):
    keys, cum = table
    return keys[bisect(cum, rng.random() * cum[-1])]


# --------------------------------------------------------------------------- staff


@dataclass
class Staff:
    spv3: object  # the measured SUPERVISOR, scope = the first three branches
    supervisors: dict  # branch_id -> user id
    agents: dict  # branch_id -> [user ids]
    usernames: dict  # user id -> username


def ensure_staff(branches) -> Staff:
    """The measured supervisor (``bench_spv3``, same as the search bench's, made by the real
    service), plus one supervisor and three agents per branch. Those only receive cases and
    notifications (they never log in), so they are inserted in bulk with one password hash."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from amanah.core.actors import SystemActor
    from amanah.demo.namegen import customer_rows
    from amanah.iam import services as iam
    from amanah.iam.models import ScopeType, User, UserBranchScope, UserRole

    actor = SystemActor("system:bench")
    spv3 = User.objects.filter(username="bench_spv3").first()
    if spv3 is None:
        spv3 = iam.user_create(
            actor=actor,
            username="bench_spv3",
            full_name="Rina Nasution",
            password=PASSWORD,
            roles=["SUPERVISOR"],
            scopes=[iam.ScopeInput(branch=b) for b in branches[:3]],
            home_branch=branches[0],
        )
    spv3.active_role = "SUPERVISOR"

    wanted = []
    for b in branches:
        code = b.code.lower()
        wanted.append((f"bench_spv_{code}", "SUPERVISOR", b))
        wanted += [(f"bench_agt_{code}_{k}", "AGENT", b) for k in range(1, AGENTS_PER_BRANCH + 1)]
    existing = set(
        User.objects.filter(username__startswith="bench_").values_list("username", flat=True)
    )
    missing = [w for w in wanted if w[0] not in existing]
    if missing:
        names = customer_rows(len(missing), [None], seed=SEED + 7)
        password = make_password(PASSWORD)
        with transaction.atomic():
            users, roles, scopes = [], [], []
            for (username, role, branch), row in zip(missing, names, strict=True):
                user = User(
                    username=username,
                    full_name=row["full_name"][:150],
                    password=password,
                    home_branch=branch,
                )
                users.append(user)
                roles.append(UserRole(user=user, role_id=role))
                scopes.append(
                    UserBranchScope(user=user, branch=branch, scope_type=ScopeType.BRANCH)
                )
            User.objects.bulk_create(users)
            UserRole.objects.bulk_create(roles)
            UserBranchScope.objects.bulk_create(scopes)
        print(f"bench: created {len(missing)} branch supervisors and agents")
    supervisors, agents, usernames = {}, {}, {}
    for user_id, username, branch_id in User.objects.filter(
        username__in=[w[0] for w in wanted]
    ).values_list("id", "username", "home_branch_id"):
        usernames[user_id] = username
        if username.startswith("bench_spv_"):
            supervisors[branch_id] = user_id
        else:
            agents.setdefault(branch_id, []).append(user_id)
    for ids in agents.values():
        ids.sort(key=lambda pk: usernames[pk])
    return Staff(spv3, supervisors, agents, usernames)


# --------------------------------------------------------------------------- deadlines


def deadlines(schedule, policy, received: datetime):
    """``cases.sla.deadlines`` with the schedule passed in (no query per case)."""
    from amanah.calendars import worktime
    from amanah.cases import sla

    due = sla._add(schedule, received, policy.resolution_value, policy.resolution_unit)
    allowed = worktime.working_minutes_between(schedule, received, due)
    return (
        sla._add(schedule, received, policy.first_response_value, policy.first_response_unit),
        worktime.add_working_minutes(schedule, received, int(allowed * sla.WARN_FRACTION)),
        due,
        worktime.add_working_days(
            schedule, received, sla.OJK_DAYS_WITHOUT_RESOLUTION, at_day_end=True
        )
        if policy.regulatory
        else None,
    )


def deadlines_cached(schedule, policy, received: datetime, cache: dict):
    """Outside working time every clock starts at the next window's start (the "anchor"), so
    all complaints received on one evening or weekend share their deadlines: computed once."""
    from amanah.calendars import worktime

    anchor = worktime.add_working_time(schedule, received, timedelta(0))
    if anchor == received:
        return deadlines(schedule, policy, received)
    key = (id(schedule), policy.pk, anchor)
    found = cache.get(key)
    if found is None:
        found = cache[key] = deadlines(schedule, policy, anchor)
    return found


def check_deadlines(schedules, branches_by_id, policies, rng: random.Random, now, cache) -> int:
    """The bulk arithmetic must equal the app's own ``sla.deadlines`` (which looks the branch's
    calendar up): compared on a sample of moments and policies."""
    from amanah.cases import sla

    checked = 0
    branch_ids = list(branches_by_id)
    for _ in range(2000):
        branch = branches_by_id[rng.choice(branch_ids)]
        policy = rng.choice(list(policies.values()))
        received = now - timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86400))
        ours = deadlines_cached(schedules[branch.pk], policy, received, cache)
        theirs = sla.deadlines(policy, received, branch)
        expected = (
            theirs.first_response_due_at,
            theirs.warn_at,
            theirs.due_at,
            theirs.regulatory_deadline_at,
        )
        if ours != expected:
            raise AssertionError(
                f"deadline mismatch for {policy} at {received}: {ours} != {expected}"
            )
        checked += 1
    return checked


# --------------------------------------------------------------------------- data set


def _received_times(rng, n, now, customers, schedules, branch_ids):
    """(received_at, open?, channel, customer index) for every case, in time order.

    Closed cases are spread evenly over 18 months; open ones lean to the recent past (a quarter
    from the last 4 days, a fifth from 4–15 days ago, the rest a backlog trailing off over the
    months), so the queue has cases before warning, between warning and due, and overdue.
    Branch walk-ins arrive inside the branch's working windows; the other channels at any hour,
    mostly by day.
    """
    channel_table = _cum(CHANNEL_WEIGHTS)
    n_open = round(n * OPEN_SHARE)
    start = now - timedelta(days=HISTORY_DAYS)
    out = []
    for i in range(n):
        is_open = i < n_open
        channel = _pick(rng, channel_table)
        cust = rng.randrange(len(customers))
        if is_open:
            r = rng.random()
            if r < 0.25:
                age = rng.uniform(0, 4)
            elif r < 0.45:
                age = rng.uniform(4, 15)
            else:
                age = min(15 + rng.expovariate(1 / 90), HISTORY_DAYS - 1)
            moment = now - timedelta(days=age)
        else:
            moment = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 3600))
        schedule = schedules[branch_ids[customers[cust][1]]]
        if channel == "BRANCH":
            moment = _in_window(rng, schedule, moment, now)
        else:
            local_hour = (moment.hour + 7) % 24
            if not 7 <= local_hour < 22 and rng.random() < 0.7:
                moment -= timedelta(hours=12)  # mostly by day
        moment = moment.replace(microsecond=0)
        if moment >= now:
            moment = now - timedelta(minutes=rng.randint(1, 120))
        out.append((moment, is_open, channel, cust))
    out.sort(key=lambda row: row[0])
    return out


def _in_window(rng, schedule, moment, now):
    """A moment inside one of the working windows of ``moment``'s day (or an earlier day)."""
    day = schedule.local_date(moment)
    for _ in range(30):
        windows = [w for w in schedule.utc_windows(day) if w[0] < now]
        if windows:
            w_start, w_end = rng.choice(windows)
            w_end = min(w_end, now)
            return w_start + timedelta(seconds=rng.uniform(0, (w_end - w_start).total_seconds()))
        day -= timedelta(days=1)
    return moment


def load_cases(n: int, branches, staff: Staff) -> dict:
    """Generate and COPY the cases (and their activity lines) in one transaction, with the
    secondary indexes dropped during the load and rebuilt after it."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from amanah.calendars.schedules import schedule_for_branch
    from amanah.cases.models import (
        Case,
        CaseActivity,
        CaseAttachment,
        CaseNumberSequence,
        CaseSurvey,
        SlaPolicy,
    )

    pg = _pg()
    started = time.perf_counter()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    local_tz = ZoneInfo(settings.TIME_ZONE)
    rng = random.Random(SEED)
    branches_by_id = {b.pk: b for b in branches}
    schedules = {b.pk: schedule_for_branch(b) for b in branches}
    policies = {(p.category_id, p.priority): p for p in SlaPolicy.objects.filter(active=True)}
    cache: dict = {}
    print(
        f"  deadlines checked against cases.sla.deadlines on "
        f"{check_deadlines(schedules, branches_by_id, policies, rng, now, cache)} samples"
    )

    customers = pg.execute(
        "SELECT id, home_branch_id FROM customers_customer WHERE merged_into_id IS NULL "
        "AND home_branch_id = ANY(%s) ORDER BY id",
        [list(branches_by_id)],
    ).fetchall()
    branch_index = {pk: k for k, pk in enumerate(branches_by_id)}
    branch_ids = list(branches_by_id)
    customers = [(cid, branch_index[bid]) for cid, bid in customers]
    print(f"  {len(customers):,} customers to draw from; generating arrival times")
    arrivals = _received_times(rng, n, now, customers, schedules, branch_ids)

    t_case, t_act = Case._meta.db_table, CaseActivity._meta.db_table
    category_table, open_table = _cum(CATEGORY_WEIGHTS), _cum(OPEN_STATUS_WEIGHTS)
    priority_table, fraud_table = _cum(PRIORITY_WEIGHTS), _cum(FRAUD_PRIORITY_WEIGHTS)
    numbers: dict[int, int] = {}
    counts = {"cases": 0, "open": 0, "activities": 0}

    def text(template: str) -> str:
        return template.format(
            bank=rng.choice(BANKS),
            amount=f"{rng.randrange(50, 25_000) * 1000:,}".replace(",", "."),
            day=(now - timedelta(days=rng.randint(1, 60)))
            .astimezone(local_tz)
            .strftime("%d/%m/%Y"),
        )

    def rid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    with pg.transaction():
        pg.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if pg.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            pg.execute("SET LOCAL session_replication_role = replica")
        pg.execute(
            f"TRUNCATE {t_case}, {t_act}, {CaseAttachment._meta.db_table}, "
            f"{CaseSurvey._meta.db_table} CASCADE"
        )
        pg.execute(
            "DELETE FROM notifications_notification WHERE dedupe_key LIKE ANY(%s)",
            [["warning:%", "breach:%", "regulatory:%", "case-assigned:%"]],
        )
        dropped = []
        for table in (t_case, t_act):
            for name, definition in _secondary_indexes(pg, table):
                pg.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
        pg.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur = pg.cursor()
        rows, acts = [], []

        def flush():
            with cur.copy(f"COPY {t_case} ({', '.join(CASE_COLS)}) FROM STDIN") as copy:
                for item in rows:
                    copy.write_row(item)
            with cur.copy(f"COPY {t_act} ({', '.join(ACT_COLS)}) FROM STDIN") as copy:
                for item in acts:
                    copy.write_row(item)
            counts["cases"] += len(rows)
            counts["activities"] += len(acts)
            rows.clear(), acts.clear()

        for received, is_open, channel, cust in arrivals:
            customer_id, b_index = customers[cust]
            branch_id = branch_ids[b_index]
            category = _pick(rng, category_table)
            priority = _pick(rng, fraud_table if category == "FRAUD_SCAM" else priority_table)
            policy = policies[(category, priority)]
            fr_due, warn_at, due, reg_due = deadlines_cached(
                schedules[branch_id], policy, received, cache
            )
            year = received.astimezone(local_tz).year
            numbers[year] = numbers.get(year, 0) + 1
            agents = staff.agents[branch_id]
            supervisor = staff.supervisors[branch_id]
            created_by = rng.choice(agents)
            case_id = rid()
            first_resp = paused_at = warned_at = breached_at = reg_over = None
            resolved_at = closed_at = closed_by = final = None
            resolution_code = root_cause = ""
            escalation = 0
            if is_open:
                status = _pick(rng, open_table)
                counts["open"] += 1
                if status == "NEW":
                    assigned = rng.choice(agents) if rng.random() < 0.4 else None
                else:
                    assigned = supervisor if rng.random() < 0.15 else rng.choice(agents)
                    first_resp = min(
                        received + (fr_due - received) * rng.uniform(0.1, 1.5),
                        now - timedelta(minutes=1),
                    )
                if status == "WAITING_INFO":
                    paused_at = max(first_resp, now - timedelta(days=rng.uniform(0, 7)))
                if status == "ESCALATED":
                    escalation = 1
                updated = max(t for t in (received, first_resp, paused_at) if t is not None)
            else:
                assigned = supervisor if rng.random() < 0.1 else rng.choice(agents)
                r = rng.random()
                if r < 0.78:
                    resolved_at = received + (warn_at - received) * rng.uniform(0.1, 0.98)
                elif r < 0.90:
                    resolved_at = warn_at + (due - warn_at) * rng.uniform(0.05, 0.95)
                else:
                    resolved_at = due + (due - received) * rng.uniform(0.05, 2.5)
                if resolved_at >= now:
                    resolved_at = received + (now - received) * rng.uniform(0.2, 0.9)
                resolved_at = resolved_at.replace(microsecond=0)
                first_resp = min(
                    resolved_at, received + (fr_due - received) * rng.uniform(0.1, 1.3)
                )
                for deadline, mark in ((warn_at, "w"), (due, "b"), (reg_due, "r")):
                    if deadline is None:
                        continue
                    marked = deadline + timedelta(seconds=rng.randint(1, 59))  # the minute sweep
                    if marked < resolved_at:
                        if mark == "w":
                            warned_at = marked
                        elif mark == "b":
                            breached_at, escalation = marked, 1
                        else:
                            reg_over = marked
                final = text(rng.choice(FINAL_RESPONSES))
                closed_at = resolved_at + timedelta(hours=rng.uniform(1, 120))
                if closed_at < now and rng.random() < 0.9:
                    status, closed_by = "CLOSED", supervisor
                    resolution_code = rng.choice(RESOLUTION_CODES)
                    root_cause = rng.choice(ROOT_CAUSES) if rng.random() < 0.6 else ""
                else:
                    status, closed_at = "RESOLVED", None
                updated = closed_at or resolved_at
            case_no = f"PGD-{year}-{numbers[year]:06d}"
            rows.append(
                (
                    case_id,
                    case_no,
                    customer_id,
                    branch_id,
                    channel,
                    category,
                    priority,
                    status,
                    text(rng.choice(DESCRIPTIONS[category])),
                    rng.choice(PRODUCTS[category]),
                    rng.choice(CONTACT),
                    policy.pk,
                    received,
                    fr_due,
                    first_resp,
                    warn_at,
                    due,
                    reg_due,
                    paused_at,
                    0,
                    warned_at,
                    breached_at,
                    reg_over,
                    None,
                    "",
                    escalation,
                    assigned,
                    created_by,
                    final,
                    resolved_at,
                    closed_at,
                    closed_by,
                    resolution_code,
                    root_cause,
                    received,
                    updated,
                )
            )
            label = staff.usernames.get(created_by, "")
            acts.append(
                (
                    case_id,
                    "STATUS_CHANGE",
                    "Pengaduan dicatat",
                    created_by,
                    label,
                    '{"to": "NEW"}',
                    received,
                )
            )
            if first_resp and status not in ("NEW",) and is_open:
                acts.append(
                    (
                        case_id,
                        "STATUS_CHANGE",
                        "",
                        assigned,
                        staff.usernames[assigned],
                        '{"from": "NEW", "to": "IN_PROGRESS"}',
                        first_resp,
                    )
                )
            if resolved_at:
                acts.append(
                    (
                        case_id,
                        "FINAL_RESPONSE",
                        final,
                        assigned,
                        staff.usernames[assigned],
                        "{}",
                        resolved_at,
                    )
                )
            if status == "CLOSED":
                acts.append(
                    (
                        case_id,
                        "STATUS_CHANGE",
                        resolution_code,
                        closed_by,
                        staff.usernames[closed_by],
                        '{"from": "RESOLVED", "to": "CLOSED"}',
                        closed_at,
                    )
                )
            if len(rows) >= CHUNK:
                flush()
                if counts["cases"] % 200_000 == 0:
                    print(
                        f"  {counts['cases']:,} cases ({time.perf_counter() - started:.0f} s)",
                        flush=True,
                    )
        flush()
        print(f"  COPY done in {time.perf_counter() - started:.0f} s; rebuilding indexes")
        for definition in dropped:
            pg.execute(definition)
        t_seq = CaseNumberSequence._meta.db_table
        for year, last in numbers.items():
            pg.execute(
                f"INSERT INTO {t_seq} (year, last) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
                [year, last],
            )
        # What the sweep reset restores: the open cases' generated status and level.
        pg.execute("DROP TABLE IF EXISTS bench_case_open")
        pg.execute(
            f"CREATE TABLE bench_case_open AS SELECT id, status, escalation_level FROM {t_case} "  # noqa: S608
            "WHERE status = ANY(%s)",
            [OPEN],
        )
        pg.execute("ALTER TABLE bench_case_open ADD PRIMARY KEY (id)")
    for table in (t_case, t_act, "bench_case_open"):
        pg.execute(f"VACUUM (ANALYZE) {table}")
    counts["anchor"] = now.isoformat()
    counts["load_seconds"] = round(time.perf_counter() - started, 1)
    return counts


def ensure_customers(n_customers: int, branches, regions) -> dict | None:
    """Reuse the search bench's customers; load them (same generator) when there are none."""
    pg = _pg()
    have = pg.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    info = dataset_info()
    if have:
        return info
    print(f"bench: no customers in amanah_bench; loading {n_customers:,} (as the search bench)")
    counts = load_dataset(n_customers, branches, regions)
    info = {
        "customers": n_customers,
        "seed": CUSTOMER_SEED,
        "branches": N_BRANCHES,
        **counts,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    pg.execute(
        f"INSERT INTO {MARKER_TABLE} VALUES ('dataset', %s) "  # noqa: S608
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(info)],
    )
    return info


def cases_info() -> dict | None:
    row = _pg().execute(f"SELECT value FROM {MARKER_TABLE} WHERE key = 'cases'").fetchone()  # noqa: S608
    return row[0] if row else None


def need_reload(info, wanted, customers_info) -> str:
    if not info:
        return "no case data set yet"
    if {k: info.get(k) for k in wanted} != wanted:
        return "different size or seed"
    if info.get("customers_loaded_at") != (customers_info or {}).get("loaded_at"):
        return "the customers were reloaded since"
    if not _pg().execute("SELECT EXISTS (SELECT 1 FROM cases_case)").fetchone()[0]:
        return "the cases table is empty"
    if datetime.now(UTC) - datetime.fromisoformat(info["anchor"]) > STALE_AFTER:
        return "older than two days (the open cases' clocks have moved on)"
    return ""


# --------------------------------------------------------------------------- the queue


# The selector's query (`queue_page`: the page's ids from an index-only scan of the partial
# index `case_queue_open`, then those rows with `select_related("customer", "category",
# "assigned_to", "branch")`), hand-written; `--show-sql` prints the ORM's SQL next to it. Scope:
# `visible_to` gives `branch_id IN (<scope>)`.
RAW_QUEUE = """
    SELECT c.*, cu.*, cat.*, u.*, b.*
      FROM cases_case c
      JOIN customers_customer cu ON cu.id = c.customer_id
      JOIN cases_casecategory cat ON cat.code = c.category_id
      LEFT JOIN iam_user u ON u.id = c.assigned_to_id
      JOIN iam_branch b ON b.id = c.branch_id
     WHERE c.id IN (
           SELECT c.id FROM cases_case c
            WHERE c.branch_id = ANY(%(scope)s) AND c.status = ANY(%(open)s){extra}
            ORDER BY c.sla_due_at ASC, c.id ASC
            LIMIT 51)
     ORDER BY c.sla_due_at ASC, c.id ASC
"""
EXTRA = {
    "category": " AND c.category_id = %(category)s",
    "overdue": " AND c.sla_due_at <= %(now)s",
    "after": " AND (c.sla_due_at > %(due)s OR (c.sla_due_at = %(due)s AND c.id > %(after_id)s))",
}


@dataclass(frozen=True)
class QueueQuery:
    """One queue request: filters and an optional keyset position."""

    category: str = ""
    overdue: bool = False
    after: tuple | None = None  # (sla_due_at, id)

    def url(self) -> str:
        params = {}
        if self.category:
            params["category"] = self.category
        if self.overdue:
            params["overdue"] = "on"
        if self.after:
            params["after_due"] = self.after[0].isoformat()
            params["after_id"] = str(self.after[1])
        return "/cases/queue/" + ("?" + urllib.parse.urlencode(params) if params else "")

    def raw(self, scope: list, template: str = RAW_QUEUE) -> tuple[str, dict]:
        extra, params = "", {"scope": scope, "open": OPEN}
        if self.category:
            extra += EXTRA["category"]
            params["category"] = self.category
        if self.overdue:
            extra += EXTRA["overdue"]
            params["now"] = datetime.now(UTC)
        if self.after:
            extra += EXTRA["after"]
            params["due"], params["after_id"] = self.after
        return template.format(extra=extra), params

    def filters(self):
        from amanah.cases.selectors import QueueFilter

        return QueueFilter(category=self.category, overdue_only=self.overdue)


def scope_of(actor) -> list:
    from amanah.iam import authz

    return sorted(authz.branch_scope(actor).branch_ids)


def page_keys(scope: list) -> list[tuple]:
    """The keyset position before each page of the default queue (pages 2, 3, …)."""
    rows = (
        _pg()
        .execute(
            "SELECT sla_due_at, id FROM cases_case WHERE branch_id = ANY(%s) AND status = ANY(%s) "
            "ORDER BY sla_due_at, id",
            [scope, OPEN],
        )
        .fetchall()
    )
    return [tuple(rows[i]) for i in range(49, len(rows) - 1, 50)]


def run_raw(
    queries: list[QueueQuery], scope: list, template: str = RAW_QUEUE
) -> tuple[Stats, list]:
    pg = _pg()
    stats, firsts = Stats([]), []
    for q in queries:
        sql, params = q.raw(scope, template)
        t = time.perf_counter()
        rows = pg.execute(sql, params, prepare=False).fetchall()
        stats.times.append((time.perf_counter() - t) * 1000)
        stats.empty += not rows
        firsts.append([r[0] for r in rows[:50]])
    return stats, firsts


def run_selector(actor, queries: list[QueueQuery]) -> tuple[Stats, list]:
    from amanah.cases.selectors import queue_page

    stats, firsts = Stats([]), []
    for q in queries:
        t = time.perf_counter()
        rows, _next = queue_page(actor=actor, filters=q.filters(), after=q.after)
        stats.times.append((time.perf_counter() - t) * 1000)
        stats.empty += not rows
        firsts.append([c.pk for c in rows])
    return stats, firsts


def run_http(client, queries: list[QueueQuery], expect: dict) -> Stats:
    """GET each page; a sample of answers is checked for the case numbers the selector gave."""
    stats = Stats([])
    for k, q in enumerate(queries):
        path = q.url()
        t = time.perf_counter()
        status, payload = client.request("GET", path)
        elapsed = (time.perf_counter() - t) * 1000
        if status != 200:
            stats.errors += 1
            if stats.errors == 1:
                print(f"    HTTP {status} for {path}: {payload[:200]!r}")
            continue
        stats.times.append(elapsed)
        if k % 25 == 0 and path in expect:
            table = payload.split(b'data-testid="queue"', 1)[-1].split(b"</table>", 1)[0]
            # the case links (a supervisor's rows also name the number in the bulk-assign
            # checkbox's label)
            found = re.findall(rb">(PGD-\d{4}-\d{6})</a>", table)
            if [f.decode() for f in found] != expect[path]:
                raise AssertionError(f"{path}: page shows other cases than the selector")
    return stats


def queue_cells(actor, n: int, scope: list) -> dict[str, list[QueueQuery]]:
    from amanah.cases.models import CaseCategory

    rng = random.Random(SEED + 3)
    categories = list(CaseCategory.objects.values_list("code", flat=True))
    keys = page_keys(scope)
    later = [QueueQuery(after=keys[i % len(keys)]) for i in range(n)] if keys else []
    rng.shuffle(later)
    return {
        "default (all open, page 1)": [QueueQuery()] * n,
        "overdue only, page 1": [QueueQuery(overdue=True)] * n,
        "one category, page 1": [
            QueueQuery(category=categories[i % len(categories)]) for i in range(n)
        ],
        f"keyset pages 2–{len(keys) + 1} (default filters)": later,
    }


def measure_queue(port: int, actor, n: int) -> tuple[dict, dict]:
    from amanah.cases.models import Case

    scope = scope_of(actor)
    cells = queue_cells(actor, n, scope)
    client = login(port, actor.username)
    results = {}
    for label, queries in cells.items():
        if not queries:
            continue
        run_raw(queries[:50], scope)  # warm-up, all three layers
        run_selector(actor, queries[:50])
        run_http(client, queries[:50], {})
        raw, raw_ids = run_raw(queries, scope)
        sel, sel_ids = run_selector(actor, queries)
        if raw_ids != sel_ids and not any(q.overdue for q in queries):
            raise AssertionError(f"{label}: raw SQL and selector return different cases")
        numbers = dict(
            Case.objects.filter(pk__in={i for ids in sel_ids for i in ids}).values_list(
                "pk", "case_no"
            )
        )
        expect = {
            q.url(): [numbers[i] for i in ids] for q, ids in zip(queries, sel_ids, strict=True)
        }
        web = run_http(client, queries, expect)
        results[label] = {"raw": raw, "selector": sel, "http": web}
        print(
            f"  {label:<40} n={len(queries)} "
            + "  ".join(
                f"{m}: p50 {fmt(s.pct(50))} p95 {fmt(s.pct(95))}" for m, s in results[label].items()
            ),
            flush=True,
        )
    client.close()
    in_scope = (
        _pg()
        .execute(
            "SELECT count(*), count(*) FILTER (WHERE sla_due_at <= now()) FROM cases_case "
            "WHERE branch_id = ANY(%s) AND status = ANY(%s)",
            [scope, OPEN],
        )
        .fetchone()
    )
    return results, {
        "open_in_scope": in_scope[0],
        "overdue_in_scope": in_scope[1],
        "pages": len(page_keys(scope)) + 1,
    }


def show_queue_sql(actor) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amanah.cases.selectors import QueueFilter, queue_page

    with CaptureQueriesContext(connection) as captured:
        queue_page(actor=actor, filters=QueueFilter(), after=None)
    print("-- ORM (selectors.queue_page):\n" + captured.captured_queries[-1]["sql"])
    print("-- raw:\n" + RAW_QUEUE.format(extra=""))


def explain_queue(actor) -> None:
    scope = scope_of(actor)
    keys = page_keys(scope)
    for label, q in (
        ("default", QueueQuery()),
        ("overdue", QueueQuery(overdue=True)),
        ("category", QueueQuery(category="FRAUD_SCAM")),
        ("later page", QueueQuery(after=keys[len(keys) // 2]) if keys else None),
    ):
        if q is None:
            continue
        sql, params = q.raw(scope)
        plan = _pg().execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, prepare=False).fetchall()
        print(f"\n-- queue, {label}\n" + "\n".join(r[0] for r in plan))


# --------------------------------------------------------------------------- the sweep


def reset_sweep() -> dict:
    """Undo what earlier sweeps did to the open cases, so the measured sweep starts from the
    generated state: marks cleared, statuses and levels restored, its activity lines and
    notifications removed. Then VACUUM, so the sweep meets a clean table."""
    pg = _pg()
    t = time.perf_counter()
    restored = pg.execute(
        """
        UPDATE cases_case c SET warned_at = NULL, breached_at = NULL,
               regulatory_overdue_at = NULL, status = o.status,
               escalation_level = o.escalation_level
          FROM bench_case_open o
         WHERE o.id = c.id AND (c.warned_at IS NOT NULL OR c.breached_at IS NOT NULL
               OR c.regulatory_overdue_at IS NOT NULL OR c.status <> o.status
               OR c.escalation_level <> o.escalation_level)
        """
    ).rowcount
    pg.execute(
        "DELETE FROM cases_caseactivity WHERE activity_type = 'SLA' "
        "AND actor_label IN ('system:sla', 'integration:sla')"
    )
    pg.execute(
        "DELETE FROM notifications_notification WHERE dedupe_key LIKE ANY(%s)",
        [
            [
                f"{kind}{suffix}:%"
                for kind in ("warning", "breach", "regulatory")
                for suffix in ("", "-digest")
            ]
        ],
    )
    for table in ("cases_case", "cases_caseactivity", "notifications_notification"):
        pg.execute(f"VACUUM (ANALYZE) {table}")
    pg.execute("CHECKPOINT")
    return {"restored": restored, "seconds": round(time.perf_counter() - t, 1)}


def sweep_population() -> dict:
    row = (
        _pg()
        .execute(
            """
        SELECT count(*),
               count(*) FILTER (WHERE paused_at IS NOT NULL),
               count(*) FILTER (WHERE paused_at IS NULL AND warn_at > now()),
               count(*) FILTER (WHERE paused_at IS NULL AND warn_at <= now()
                                      AND sla_due_at > now()),
               count(*) FILTER (WHERE paused_at IS NULL AND sla_due_at <= now()),
               count(*) FILTER (WHERE regulatory_deadline_at <= now())
          FROM cases_case WHERE status = ANY(%s)
        """,
            [OPEN],
        )
        .fetchone()
    )
    keys = ["open", "paused", "before_warn", "warn_to_due", "overdue", "past_ojk_day_20"]
    return dict(zip(keys, row, strict=True))


@dataclass
class SweepRun:
    seconds: float
    result: object
    steps: list  # (label, seconds)


def _wal_and_checkpoints() -> tuple[int, int]:
    pg = _pg()
    lsn = pg.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0]
    try:
        done = pg.execute("SELECT num_timed + num_requested FROM pg_stat_checkpointer").fetchone()[
            0
        ]
    except Exception:  # noqa: BLE001 (before PostgreSQL 17)
        done = 0
    return int(lsn), int(done)


def _cpu_seconds(pid: int) -> tuple[float, float] | None:
    """(own, reaped children's) CPU seconds, user + system, of process ``pid`` from /proc (the
    bench's server is local); None where /proc cannot tell (another OS, a remote server)."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _server_cpu_seconds(backend: int) -> float | None:
    """CPU seconds the whole database server has used: the postmaster (our backend's parent),
    every live child of it, and the children it has reaped — the sweep's lanes open backends of
    their own and close them again before the run ends."""
    import os

    try:
        with open(f"/proc/{backend}/stat") as stat:
            postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None
    own = _cpu_seconds(postmaster)
    if own is None:
        return None
    total = own[0] + own[1]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _first_branch_schedule(actor):
    from amanah.calendars.schedules import schedule_for_branch
    from amanah.iam.models import Branch

    return schedule_for_branch(Branch.objects.filter(pk__in=scope_of(actor)).order_by("code")[0])


def timed_sweep(now=None, lanes=None) -> SweepRun:
    """``sla_sweep(now, lanes=lanes)`` by the wall clock, with each SQL statement timed on the
    way (an execute wrapper), and the audit writers and the commits timed by wrappers put
    around them for the run; the app's code is untouched. The split by step is only taken on
    one lane: other lanes run on connections of their own, which the wrapper does not see."""
    from django.conf import settings
    from django.db import connection

    from amanah.audit import services as audit
    from amanah.cases import sweep

    statements: list[tuple[str, float]] = []
    audit_seconds: list[float] = []
    commits: list[float] = []

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql, time.perf_counter() - t))

    original_record_many, original_commit = audit.record_many, connection.commit
    original_record_batch = getattr(audit, "record_batch", None)  # an older sweep: none

    def timed(record):
        def timed_record(**kwargs):
            t = time.perf_counter()
            logs = record(**kwargs)
            audit_seconds.append(time.perf_counter() - t)
            return logs

        return timed_record

    def timed_commit():
        t = time.perf_counter()
        original_commit()
        commits.append(time.perf_counter() - t)

    connection.ensure_connection()
    wal0, checkpoints0 = _wal_and_checkpoints()
    # CPU time of the sweep's own process and of its database backend: on a shared machine
    # the wall clock also counts the time others had the cores; CPU seconds do not.
    backend = connection.connection.info.backend_pid
    lanes = lanes or settings.SLA_SWEEP_LANES
    cpu0 = (time.process_time(), _server_cpu_seconds(backend))
    audit.record_many, connection.commit = timed(original_record_many), timed_commit
    if original_record_batch:
        audit.record_batch = timed(original_record_batch)
    try:
        t0 = time.perf_counter()
        with connection.execute_wrapper(timer):
            result = sweep.sla_sweep(now, lanes=lanes)
        total = time.perf_counter() - t0
    finally:
        audit.record_many = original_record_many
        if original_record_batch:
            audit.record_batch = original_record_batch
        del connection.commit  # back to the class's method
    cpu1 = (time.process_time(), _server_cpu_seconds(backend))
    wal1, checkpoints1 = _wal_and_checkpoints()
    steps = [] if lanes == 1 else [(f"{lanes} lanes: not split by step (see the one-lane run)",
                                    None)]  # fmt: skip
    # A pass's statements walk its step's column, oldest first (an older sweep: one pass a step).
    passes = getattr(sweep, "PASSES", None) or [
        SimpleNamespace(step=step, riders=()) for step in (sweep.BREACH, sweep.WARNING,
                                                          sweep.REGULATORY)
    ]  # fmt: skip
    for pass_ in passes if lanes == 1 else ():
        marks = [sec for sql, sec in statements if f"ORDER BY {pass_.step.order_by}\n" in sql]
        riders = "".join(f" (+ {rider.kind} riding along)" for rider in pass_.riders)
        steps.append((f"{pass_.step.kind}{riders}: mark statements, "
                      f"{len(marks)} batch(es) of ≤ {sweep.BATCH_SIZE:,}", sum(marks)))  # fmt: skip
    if lanes == 1:
        steps.append(("audit: escalations, breaches, OJK flags (`record_many` per case, or "
                      "`record_batch` per batch in a catch-up; hash chain, COPY)",
                      sum(audit_seconds)))  # fmt: skip
        steps.append((f"commits ({len(commits)})", sum(commits)))
        steps.append(("other", total - sum(seconds or 0 for _label, seconds in steps)))
    steps.append((f"(WAL written: {(wal1 - wal0) / 2**30:.2f} GiB; checkpoints during the run: "
                  f"{checkpoints1 - checkpoints0})", None))  # fmt: skip
    if cpu0[1] is not None and cpu1[1] is not None:
        steps.append((f"(CPU: {cpu1[0] - cpu0[0]:.2f} s in the sweep's process, "
                      f"{cpu1[1] - cpu0[1]:.2f} s in the database server)", None))  # fmt: skip
    return SweepRun(total, result, steps)


def explain_sweep() -> None:
    """EXPLAIN (ANALYZE, BUFFERS, WAL) of the first mark statement of each of the sweep's passes
    (one transaction, rolled back). Each statement is run under EXPLAIN ANALYZE instead of
    plainly, so the sweep sees no rows come back and writes no audit events."""
    from django.db import connection, transaction

    from amanah.cases.sweep import PASSES, sla_sweep

    plans = []

    def explain_instead(execute, sql, params, many, context):
        if "SKIP LOCKED" not in sql:
            return execute(sql, params, many, context)
        execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, params, many, context)
        plans.append("\n".join(r[0] for r in context["cursor"].fetchall()))
        return execute("SELECT NULL, NULL, NULL, false WHERE false", None, many, context)

    print("bench: EXPLAIN of the sweep (after a reset; rolled back)")
    reset_sweep()
    with transaction.atomic(), connection.execute_wrapper(explain_instead):
        sla_sweep()
        transaction.set_rollback(True)
    labels = [p.step.kind + "".join(f" + {r.kind}" for r in p.riders) for p in PASSES]
    for label, plan in zip(labels, plans, strict=False):
        print(f"\n-- sweep statement: {label}\n{plan}")


# --------------------------------------------------------------------------- report


def render_queue_table(results: dict) -> str:
    lines = [
        "| Queue request (supervisor, 3 branches) | n | raw p50 | raw p95 | raw mean "
        "| selector p50 | selector p95 | selector mean | http p50 | http p95 | http mean "
        "| http p95 / raw p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, cell in results.items():
        raw, sel, web = cell["raw"], cell["selector"], cell["http"]
        ratio = web.pct(95) / raw.pct(95) if raw.times and web.times else float("nan")
        lines.append(
            f"| {label} | {raw.n} | {fmt(raw.pct(50))} | {fmt(raw.pct(95))} | {fmt(raw.mean)} "
            f"| {fmt(sel.pct(50))} | {fmt(sel.pct(95))} | {fmt(sel.mean)} "
            f"| {fmt(web.pct(50))} | {fmt(web.pct(95))} | {fmt(web.mean)} | {ratio:.1f}× |"
            + (f" ({web.errors} HTTP errors)" if web.errors else "")
        )
    return "\n".join(lines)


def render_sweep_table(population: dict, runs: list[SweepRun]) -> str:
    lines = [
        "| Sweep | wall clock (s) | warned | breached | escalated | OJK day 20 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    labels = list(SWEEP_RUNS)[: len(runs)]
    for label, run in zip(SWEEP_RUNS, runs, strict=False):
        r = run.result
        lines.append(
            f"| {label} | {run.seconds:.2f} | {r.warned:,} | {r.breached:,} "
            f"| {r.escalated:,} | {r.regulatory_overdue:,} |"
        )
    lines += ["", "| Catch-up runs, by step | seconds |", "|---|---:|"]
    for label, run in ((labels[0], runs[0]), (labels[-1], runs[-1])):
        lines.append(f"| **{label}** | |")
        lines += [
            f"| {step} | {seconds:.2f} |" if seconds is not None else f"| {step} | |"
            for step, seconds in run.steps
        ]
    lines += [
        "",
        "Open cases when the first sweep ran: "
        f"{population['open']:,} ({population['paused']:,} paused in WAITING_INFO, "
        f"{population['before_warn']:,} before their warning, "
        f"{population['warn_to_due']:,} between warning and due, "
        f"{population['overdue']:,} overdue; {population['past_ojk_day_20']:,} past OJK "
        "day 20).",
    ]
    return "\n".join(lines)


def verdict(queue: dict, runs: list[SweepRun]) -> str:
    out = []
    for label, cell in queue.items():
        p95 = cell["http"].pct(95)
        out.append(target_line(f"queue {label}: HTTP p95 {fmt(p95)} ms", p95, TARGET_QUEUE_P95_MS))
    for label, run in zip(SWEEP_RUNS, runs, strict=False):
        r = run.result
        marks = r.warned + r.breached + r.regulatory_overdue
        text = f"SLA sweep over all open cases, {label}: {run.seconds:.2f} s, {marks:,} marks"
        out.append(target_line(text, run.seconds, TARGET_SWEEP_SECONDS, " s"))
    return "\n".join(out)


def describe_cases(info: dict) -> str:
    return (
        f"{info['cases']:,} cases (seed {info['seed']}) over {info['branches']} branches, "
        f"{info['open']:,} open (NEW 25 %, IN_PROGRESS 45 %, WAITING_INFO 15 %, ESCALATED 15 %), "
        "the rest RESOLVED/CLOSED with a final response; received over the last 18 months "
        "(open ones leaning recent), 7 categories × 4 priorities × 5 channels on the seeded "
        "SLA policies (OJK profile), deadlines by the app's working-time arithmetic; "
        f"{info['activities']:,} activity lines; 100 branch supervisors + 300 agents; anchored "
        f"at {info['anchor'][:16]} UTC; loaded with COPY in {info['load_seconds']} s"
    )


def report_section(title, command, queue_table, sweep_table, context) -> str:
    return f"""## {title}

Command (from the repository root):

```
{command}
```

- Date: {context["date"]}
- Machine: {context["machine"]}; load average {context["load"]}
- Database: {context["server"]}; embedded server of the bench (`var/bench-pgdata`), database
  `amanah_bench`; schema: {context["schema"]}
- Web: gunicorn {context["gunicorn"]}, `AMANAH_ENV=demo`, DEBUG off; one client sending
  requests one after another, keep-alive HTTP/1.1 on 127.0.0.1, session login
- Data set: {context["dataset"]}
- Customers: {context["customers"]}
- Scope: SUPERVISOR `bench_spv3` with three branches: {context["scope"]}

`raw` is the queue's SQL hand-written from `str(queue(...).query)` (same joins, filters, order
and `LIMIT 51`) run through psycopg; `selector` is `cases.selectors.queue_page` in-process
(permission, scope, filters, keyset, `select_related`); `http` is `GET /cases/queue/` on
gunicorn (session, middleware, form, template with 50 rows). The raw and selector rows are
compared on every request, and sampled HTTP pages are checked for the same case numbers.
"Keyset pages" requests a different later page each time (`after_due`/`after_id` as the
"Berikutnya" link gives them).

{queue_table}

SLA sweep (`cases.sweep.sla_sweep(now)`, wall clock, in-process on the bench database): first
the catch-up after resetting the marks of every open case (as after a long worker outage), then
the runs a minute and an hour later (the per-minute job's ordinary work), then that hour again:

{sweep_table}

Targets: supervisor queue p95 ≤ {TARGET_QUEUE_P95_MS:.0f} ms at the HTTP level for a 3-branch
scope; one SLA sweep over all open cases ≤ {TARGET_SWEEP_SECONDS:.0f} s. This run:

{context["verdict"]}
"""


# --------------------------------------------------------------------------- main


def ensure_cases(n: int, branches, staff, customers_info, *, rebuild: bool = False) -> dict:
    """The case data set of ``n`` cases: reused when the marker says it is there (same size,
    seed, branches, customers), else generated and loaded with COPY. Returns its info."""
    wanted = {"cases": n, "seed": SEED, "branches": N_BRANCHES}
    info = cases_info()
    reason = "--rebuild" if rebuild else need_reload(info, wanted, customers_info)
    if not reason:
        print(f"bench: reusing the cases loaded at {info['anchor']} ({info['cases']:,})")
        return info
    print(f"bench: generating and loading {n:,} cases (COPY): {reason}")
    counts = load_cases(n, branches, staff)
    info = {**wanted, **counts, "customers_loaded_at": (customers_info or {}).get("loaded_at")}
    _pg().execute(
        f"INSERT INTO {MARKER_TABLE} VALUES ('cases', %s) "  # noqa: S608
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(info)],
    )
    print(f"  loaded in {info['load_seconds']} s: {counts}")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cases")
    parser.add_argument("--cases", type=int, default=N_CASES)
    parser.add_argument(
        "--customers",
        type=int,
        default=1_000_000,
        help="customers to load when amanah_bench has none",
    )
    parser.add_argument("--queries", type=int, default=300, help="requests per cell (>= 200)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pool", action="store_true", help="gunicorn with psycopg's pool")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN plans")
    parser.add_argument("--show-sql", action="store_true", help="print the selector's SQL")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--only", choices=["queue", "sweep"], help="measure one part only")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command

    print("bench: migrating the amanah_bench database")
    call_command("migrate", verbosity=0, interactive=False)
    branches, regions = ensure_branches()
    customers_info = ensure_customers(args.customers, branches, regions)
    staff = ensure_staff(branches)
    info = ensure_cases(args.cases, branches, staff, customers_info, rebuild=args.rebuild)
    load_at_start = load_average()
    actor = staff.spv3
    if args.show_sql:
        show_queue_sql(actor)
    if args.explain:
        explain_queue(actor)
        explain_sweep()

    runs: list[SweepRun] = []
    population: dict = {}
    if args.only in (None, "sweep"):
        print("bench: resetting the sweep's marks on the open cases")
        print(f"  {reset_sweep()}")
        population = sweep_population()
        print(f"  open cases: {population}")
        from amanah.calendars import worktime

        start = datetime.now(UTC)
        schedule = _first_branch_schedule(actor)
        for label, (minutes, lanes) in SWEEP_RUNS.items():
            clock = worktime.add_working_minutes(schedule, start, minutes) if minutes else None
            if minutes is None and runs:
                print(f"  {reset_sweep()}")
            run = timed_sweep(clock, lanes)
            runs.append(run)
            print(f"  sweep, {label} ({clock or 'now'}): {run.seconds:.2f} s, {run.result}")
            if minutes is None:
                # The catch-up changed ~500,000 rows: autovacuum would VACUUM and ANALYZE
                # the table within a minute or two, before the next runs; do it now.
                _pg().execute("VACUUM (ANALYZE) cases_case")
        for run in (runs[0], runs[-1]):
            for label, seconds in run.steps:
                print(f"    {label}" + (f": {seconds:.2f} s" if seconds is not None else ""))
        for table in ("cases_case", "cases_caseactivity", "notifications_notification"):
            _pg().execute(f"VACUUM (ANALYZE) {table}")

    queue: dict = {}
    extra: dict = {}
    if args.only in (None, "queue"):
        print("bench: collecting static files")
        call_command("collectstatic", verbosity=0, interactive=False)
        server = Gunicorn(args.workers, args.threads, pool=args.pool)
        try:
            queue, extra = measure_queue(server.port, actor, max(args.queries, 1))
        finally:
            server.stop()
            print("bench: gunicorn stopped")

    queue_table = render_queue_table(queue) if queue else "(queue not measured)"
    sweep_table = render_sweep_table(population, runs) if runs else "(sweep not measured)"
    print("\n" + queue_table + "\n\n" + sweep_table)
    result = verdict(queue, runs)
    print("\n" + result)
    load = f"{load_at_start} at start, {load_average()} at the end (1/5/15 min)"
    print(f"load average: {load}")
    if not args.no_report and args.cases == N_CASES and args.only is None:
        from amanah.iam.models import Branch

        codes = Branch.objects.filter(pk__in=scope_of(actor)).values_list("code", flat=True)
        context = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "load": load,
            "server": server_settings(),
            "gunicorn": f"{args.workers} workers × {args.threads} threads, "
            + ("with psycopg's pool" if args.pool else "persistent DB connections"),
            "dataset": describe_cases(info),
            "customers": describe_dataset(customers_info) if customers_info else "?",
            "scope": f"{', '.join(sorted(codes))} — {extra.get('open_in_scope', 0):,} open cases "
            f"({extra.get('overdue_in_scope', 0):,} overdue), "
            f"{extra.get('pages', 0)} pages of 50",
            "verdict": result,
            "schema": "exactly as migrated",
        }
        title = "SLA queue and sweep at 1,000,000 cases"
        command = "AMANAH_ENV=demo .venv/bin/python -m bench.cases_bench" + (
            " --pool" if args.pool else ""
        )
        write_report(
            ROOT / "docs" / "benchmarks.md",
            "cases",
            report_section(title, command, queue_table, sweep_table, context),
        )
        print("bench: wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
