"""The OJK complaint report and complaint register (POJK 22/2023), for compliance.

One rule, :func:`ojk_facts`, classifies a complaint; the report's figures and the register's
rows both come from it, so the two always agree:

- *received*: complaints received in the period (``received_at`` in [since, until)); a case
  cancelled as a duplicate is not a complaint of its own (the original counts once);
- *resolved within 10 / within 20 working days*: the final response (``resolved_at``) fell on
  or before the 10th / 20th working day after receipt (cumulative: within 10 is within 20);
- *extended*: the one extension was used (``extended_at``);
- *unresolved at day 20* (LAPS candidates): day 20 has passed without a resolution by then
  (still open, or resolved later);
- *in progress*: still open before day 20. received = within 20 + unresolved at 20 + in progress.

Working days are those of the branch's calendar (``calendars``: windows, national holidays,
cuti bersama, closed dates), counted as ``sla.deadlines`` counts the day-20 deadline
(``worktime.working_days_elapsed`` is the inverse of ``add_working_days(at_day_end=True)``).
Like that deadline, the count runs from receipt and does not stop while waiting for the
customer. The period's bounds are local dates in the reader's time zone.

Scope: the rows of the branches in the actor's scope (``authz.filter_by_branch_scope``), not
``Case.visible_to`` — a documented exception to "every export starts from visible_to". The
register is the regulator's list of *every* complaint of the branches a compliance officer
answers for; ``Case.visible_to`` needs ``case.view`` (opening cases one by one, and their
details) and narrows to own cases without ``case.view.branch``. Declaring the compliance
reading in Case's scope declaration (say, ``ojk.report`` as a second ``view``) is not
feasible: every ``visible_to`` of Case would widen with it — the 360 case card, the timeline,
the documents and webhooks that start from it — handing compliance every case's details. So
the rows come from the report's own permission plus branch scope (as
``calendars.selectors._branches`` does), and what the rows *show* is held to the declared
scopes: a customer's name is shown only when ``Customer.objects.visible_to(actor,
row_grants=False)`` holds them — a customer the officer may see only through a break-glass
grant stays masked (a grant is a look at one customer, audited per view, not an export).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import schedule_for_branch, worktime
from amanah.cases.models import Case, CaseStatus, Channel
from amanah.cases.policies import OJK_REGISTER, OJK_REPORT
from amanah.cases.sla import OJK_DAYS_WITHOUT_RESOLUTION, OJK_RESOLUTION_DAYS
from amanah.core.errors import ServiceError
from amanah.core.masking import mask_name
from amanah.core.replica import reads_from_replica
from amanah.core.zones import zone_label
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.iam.models import Branch

MAX_PERIOD_DAYS = 366
FIRST_DAY = date(2000, 1, 1)
REGISTER_MAX_ROWS = 50_000
FIGURES = ("received", "resolved_10", "extended", "resolved_20", "unresolved_20", "in_progress")


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    first: date  # local dates in the reader's zone, both inclusive
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        after = self.last + timedelta(days=1)
        return datetime.combine(after, time.min, tzinfo=timezone.get_current_timezone())

    def as_meta(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def period_check(first: date, last: date, *, today: date | None = None) -> Period:
    """A reporting period, or ServiceError: reversed, longer than a year, or outside
    2000-01-01 … today (a period may end in the future only when it starts by today: the
    running month)."""
    today = today or timezone.localdate()
    if last < first:
        raise ServiceError(
            "period_reversed", _("Tanggal akhir lebih awal dari tanggal awal."), field="end"
        )
    if first < FIRST_DAY or first > today or last.year > today.year + 1:
        raise ServiceError(
            "period_out_of_range",
            _("Periode harus mulai antara 01-01-2000 dan hari ini."),
            field="start",
        )
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ServiceError(
            "period_too_long",
            _("Periode paling lama %(n)d hari.") % {"n": MAX_PERIOD_DAYS},
            field="end",
        )
    return Period(first, last)


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class OjkFacts:
    days_taken: int  # working days from receipt to the resolution (to now while open)
    resolved_10: bool
    extended: bool
    resolved_20: bool
    unresolved_20: bool
    in_progress: bool


def ojk_facts(counter, *, received_at, resolved_at, extended_at, now) -> OjkFacts:
    """The OJK reading of one complaint on its branch's working days (``counter``: a
    ``worktime.WorkingDayCounter`` of the branch; see the module's doc). The working days to
    now are counted once and serve an open complaint's days taken too."""
    days_to_now = counter.elapsed(received_at, now)
    resolved = resolved_at is not None
    days = counter.elapsed(received_at, resolved_at) if resolved else days_to_now
    within_20 = resolved and days <= OJK_DAYS_WITHOUT_RESOLUTION
    past_20 = days_to_now > OJK_DAYS_WITHOUT_RESOLUTION
    return OjkFacts(
        days_taken=days,
        resolved_10=resolved and days <= OJK_RESOLUTION_DAYS,
        extended=extended_at is not None,
        resolved_20=within_20,
        unresolved_20=not within_20 and past_20,
        in_progress=not resolved and not past_20,
    )


class _Counters(dict):
    """Branch id → its working-day counter, built once per branch for one report.

    A page view used to walk the calendar twice per complaint (working days to the answer,
    and to now), a month of dates each time; the counter walks each branch's working days
    once, from the earliest receipt of the rows (local date in the branch's zone), keeps
    their ends, and answers each count by bisection — the same counts
    (``worktime.WorkingDayCounter``)."""

    def __init__(self, pairs):
        super().__init__()
        self.earliest: dict = {}
        for branch_id, received_at in pairs:
            seen = self.earliest.get(branch_id)
            self.earliest[branch_id] = received_at if seen is None else min(seen, received_at)
        self.branches = Branch.objects.in_bulk(set(self.earliest))

    def __missing__(self, branch_id):
        schedule = schedule_for_branch(self.branches[branch_id])
        first = schedule.local_date(self.earliest[branch_id])
        self[branch_id] = worktime.WorkingDayCounter(schedule, first)
        return self[branch_id]


def _complaints(actor, period: Period):
    authz.require(actor, OJK_REPORT)
    period_check(period.first, period.last)  # a Period made by hand is held to the same rules
    rows = Case.objects.filter(received_at__gte=period.since, received_at__lt=period.until)
    return authz.filter_by_branch_scope(rows, actor, field="branch").exclude(
        status=CaseStatus.CANCELLED
    )


# --------------------------------------------------------------------------- the report


@dataclass
class ReportRow:
    product: str
    channel: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    total: bool = False

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel in Channel.values else self.channel

    @property
    def product_label(self) -> str:
        if self.total:
            return _("Jumlah")
        return self.product or _("(tanpa produk)")


@dataclass(frozen=True)
class OjkReport:
    period: Period
    rows: list[ReportRow]  # by product, then channel
    total: ReportRow


@reads_from_replica()
def ojk_report(*, actor, period: Period, now: datetime | None = None) -> OjkReport:
    """The OJK figures by product and channel for complaints received in the period, in the
    actor's branch scope. One query for the complaints (six columns), one for their branches,
    and each branch's working days walked once (``_Counters``)."""
    now = now or timezone.now()
    found = list(
        _complaints(actor, period).values_list(
            "branch_id", "product", "channel", "received_at", "resolved_at", "extended_at"
        )
    )
    counters = _Counters((r[0], r[3]) for r in found)
    groups: dict[tuple[str, str], ReportRow] = {}
    total = ReportRow("", "", total=True)
    for branch_id, product, channel, received_at, resolved_at, extended_at in found:
        facts = ojk_facts(
            counters[branch_id],
            received_at=received_at,
            resolved_at=resolved_at,
            extended_at=extended_at,
            now=now,
        )
        row = groups.setdefault((product, channel), ReportRow(product, channel))
        for figure in FIGURES:
            hit = figure == "received" or getattr(facts, figure)
            row.counts[figure] += hit
            total.counts[figure] += hit
    rows = [groups[key] for key in sorted(groups, key=lambda k: (k[0].casefold(), k[1]))]
    return OjkReport(period, rows, total)


def ojk_report_export(*, actor, period: Period) -> OjkReport:
    """The report for the CSV, then recorded as EXPORT_DATA (no audit row, no report). Read
    outside the audit's transaction, so a view under ``reads_from_replica`` reads a replica."""
    report = ojk_report(actor=actor, period=period)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="OJK_REPORT",
            object_id="export",
            meta={**period.as_meta(), "rows": len(report.rows), "zone": zone_label()},
        )
    return report


# --------------------------------------------------------------------------- the register


@dataclass(frozen=True)
class RegisterRow:
    case: Case
    customer: str  # masked unless the actor may open this customer
    facts: OjkFacts


@reads_from_replica()
def register_too_large(*, actor, period: Period) -> str:
    """Why the register of this period is refused ("" when it is not): more complaints than
    ``REGISTER_MAX_ROWS``. Asked by the view first, so a refusal is a page, not an error."""
    authz.require(actor, OJK_REGISTER)
    if _complaints(actor, period).count() <= REGISTER_MAX_ROWS:
        return ""
    return _("Lebih dari %(n)d pengaduan; pilih periode yang lebih pendek.") % {
        "n": REGISTER_MAX_ROWS
    }


@reads_from_replica()
def ojk_register_export(*, actor, period: Period) -> list[RegisterRow]:
    """The complaint register (one row per complaint received in the period, oldest first),
    then recorded as EXPORT_DATA (no audit row, no register; read outside the audit's
    transaction, so it may read a replica). The customer's name is masked unless the actor may
    open that customer by their declared scope (``Customer.visible_to`` without row grants: not
    through a break-glass grant). More than ``REGISTER_MAX_ROWS`` complaints: refused (a shorter
    period), never a cut register."""
    authz.require(actor, OJK_REGISTER)
    now = timezone.now()
    complaints = _complaints(actor, period)
    refusal = register_too_large(actor=actor, period=period)
    if refusal:
        raise ServiceError("too_many_rows", refusal)
    cases = list(
        complaints.select_related("customer", "category", "branch").order_by(
            "received_at", "case_no"
        )
    )
    readable = set(  # declared scope only: a break-glass grant unmasks no export
        Customer.objects.visible_to(actor, row_grants=False)
        .filter(pk__in={c.customer_id for c in cases})
        .values_list("pk", flat=True)
    )
    counters = _Counters((c.branch_id, c.received_at) for c in cases)
    rows = [
        RegisterRow(
            case,
            case.customer.full_name
            if case.customer_id in readable
            else mask_name(case.customer.full_name),
            ojk_facts(
                counters[case.branch_id],
                received_at=case.received_at,
                resolved_at=case.resolved_at,
                extended_at=case.extended_at,
                now=now,
            ),
        )
        for case in cases
    ]
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="OJK_REGISTER",
            object_id="export",
            meta={
                **period.as_meta(),
                "rows": len(rows),
                "unmasked": sum(c.customer_id in readable for c in cases),
                "zone": zone_label(),
            },
        )
    return rows
