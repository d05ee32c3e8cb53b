"""May this customer be contacted for this purpose, on this channel, at this moment?

The one published rule (DESIGN §2.1, §6). Marketing eligibility and the send-time re-check,
the messaging outbox, service-to-sell follow-ups, sales hand-overs and the 360 ask it;
nobody re-derives it.

It comes in two forms kept side by side and tested to agree (``tests/test_contactability*``):

* :func:`contactability` — one customer, every reason, in Python;
* :func:`with_contact_checks` / :func:`contactable` — a whole queryset at once, in SQL
  (a million customers never pass through Python).

The checks, in the order a reason is reported (the first one names the verdict):

1. ``CUSTOMER_INACTIVE`` — closed or merged into another record (offers only);
2. ``NO_CONSENT`` — offers need MARKETING consent GRANTED overall (opt-in: no record means no);
3. ``CHANNEL_WITHDRAWN`` — MARKETING withdrawn for this channel only (an unsubscribe link, a
   STOP reply): an offer on channel C needs MARKETING granted overall *and* not withdrawn
   for C; a later grant for C lifts it again (offers only);
4. ``DO_NOT_CONTACT`` — the customer is on the do-not-contact list (offers only);
4a. ``NOT_PREFERRED`` — the customer named another channel for this purpose
   (:class:`~amanah.consent.models.ContactPreference`; message channels only, every purpose
   that reaches a customer); no preference means any channel;
5. blockers other apps register here, e.g. ``SENSITIVE_CASE`` from ``cases`` (an open fraud
   or scam case): consent sits below cases, so cases plugs its rule in instead of consent
   importing cases (:func:`register_contact_blocker`);
6. ``OUTSIDE_WINDOW`` — outside the purpose's contact hours in the customer's home-branch
   zone (``settings.CONTACT_WINDOWS``): national holidays (``"holidays"``), *cuti bersama*
   (``"cuti_bersama"``) and the closed days of the branch's own calendar (its holidays and
   cuti bersama under the same switches, regional holidays under ``"regional_holidays"``);
7. ``FREQUENCY_CAP`` — the customer already had as many messages on this channel for this
   purpose as ``settings.CONTACT_CAPS`` allows this calendar day or week (Monday-based, in the
   branch zone). The counts come from whoever keeps the messages (messaging's outbox) through
   :func:`register_contact_counter`; with no counter registered there is nothing to count.

The last two are not refusals but *waits*: the same contact may be made at
``next_window_at``, the first moment inside the window after the cap's day or week is over.

``at=None`` leaves windows and caps out: "may this customer be contacted at all for this
purpose" (eligibility, follow-up tasks a person works on later). Senders pass the moment of
sending.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

from amanah.calendars.contract import NationalHolidays, Schedule, is_working_time
from amanah.calendars.contract import next_working_moment as _next_working_moment
from amanah.calendars.models import BranchCalendar, BusinessCalendar, CalendarDay, CalendarDayKind
from amanah.consent.models import (
    ChannelConsentState,
    ConsentState,
    ConsentStatus,
    ConsentType,
    ContactChannel,
    ContactPreference,
    PreferencePurpose,
    PreferredChannel,
    Suppression,
)
from amanah.core import reads, registry
from amanah.core.prepared import prepared
from amanah.core.registry import DuplicateRegistration
from amanah.customers.models import Customer, CustomerStatus
from amanah.iam.models import Branch, TimeZoneChoice


class Purpose(models.TextChoices):
    OFFER = "OFFER", _("Penawaran produk")
    COLLECTION = "COLLECTION", _("Penagihan")
    SERVICE = "SERVICE", _("Layanan (tanda terima, kabar kasus, survei)")
    STAFF = "STAFF", _("Pesan untuk staf")


class Reason(models.TextChoices):
    CUSTOMER_INACTIVE = "CUSTOMER_INACTIVE", _("Nasabah tidak aktif atau sudah digabung")
    NO_CONSENT = "NO_CONSENT", _("Persetujuan pemasaran tidak diberikan")
    CHANNEL_WITHDRAWN = "CHANNEL_WITHDRAWN", _("Persetujuan pemasaran ditarik untuk kanal ini")
    DO_NOT_CONTACT = "DO_NOT_CONTACT", _("Masuk daftar jangan-dihubungi")
    NOT_PREFERRED = "NOT_PREFERRED", _("Bukan kanal pilihan nasabah untuk tujuan ini")
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW", _("Di luar jam kontak; dapat dicoba lagi nanti")
    FREQUENCY_CAP = "FREQUENCY_CAP", _("Batas jumlah pesan tercapai; dapat dicoba lagi nanti")


# The reasons that only ask to wait: the same contact may be made at ``next_window_at``.
WAITS = frozenset({Reason.OUTSIDE_WINDOW, Reason.FREQUENCY_CAP})


def is_wait(code: str) -> bool:
    """Does ``code`` only ask to wait (never a refusal)? For senders holding a set form's
    reason: such a contact is made later, never dropped."""
    return code in WAITS


# --------------------------------------------------------------------------- blockers


@dataclass(frozen=True)
class ContactBlocker:
    """A reason owned by another app. ``condition()`` is an ``Exists`` over ``OuterRef("pk")``
    of Customer: both forms of the rule use it, so the app states its rule once."""

    code: str
    label: str
    purposes: frozenset[str]
    condition: Callable[[], Exists]


def register_contact_blocker(
    code: str, label, *, purposes, condition: Callable[[], Exists]
) -> None:
    """Called from an app's contract at start-up; a code (and never one of consent's own
    reasons) is registered once, in ``registry.contact_blockers``."""
    if code in Reason.values:
        raise DuplicateRegistration(f"contact blocker {code!r} is one of consent's own reasons")
    unknown = set(purposes) - set(Purpose.values)
    if unknown:
        raise ImproperlyConfigured(f"contact blocker {code!r}: unknown purposes {unknown}")
    registry.contact_blockers.register(
        code, ContactBlocker(code, label, frozenset(purposes), condition)
    )


def _blockers_for(purpose: str) -> list[ContactBlocker]:
    return [b for b in registry.contact_blockers.values() if purpose in b.purposes]


# fn(purpose, channel, since) -> integer expression over OuterRef("pk") of Customer.
ContactCounter = Callable[[str, str, datetime], models.Expression]


def register_contact_counter(key: str, counter: ContactCounter) -> None:
    """How the app that keeps sent messages (messaging's outbox) tells the rule how many
    messages a customer had: ``counter(purpose, channel, since)`` is an integer SQL expression
    (e.g. a ``Subquery`` counting outbox rows) over ``OuterRef("pk")`` of Customer. Both forms
    of the cap use it; several counters add up. Registered once per key at start-up."""
    registry.contact_counters.register(key, counter)


def reason_label(code: str) -> str:
    """The Indonesian label of any reason code (consent's own or a registered blocker's)."""
    if code in Reason.values:
        return str(Reason(code).label)
    if code in registry.contact_blockers:
        return str(registry.contact_blockers.get(code).label)
    return code


def reason_codes(purpose: str = Purpose.OFFER) -> list[str]:
    """Every code the rule may answer for ``purpose``, in reporting order."""
    codes = []
    if purpose == Purpose.OFFER:
        codes += [
            Reason.CUSTOMER_INACTIVE,
            Reason.NO_CONSENT,
            Reason.CHANNEL_WITHDRAWN,
            Reason.DO_NOT_CONTACT,
        ]
    if purpose in PreferencePurpose.values:
        codes.append(Reason.NOT_PREFERRED)
    codes += [b.code for b in _blockers_for(purpose)]
    if purpose in _windows():
        codes.append(Reason.OUTSIDE_WINDOW)
    if _caps().get(purpose) and len(registry.contact_counters):
        codes.append(Reason.FREQUENCY_CAP)
    return [str(c) for c in codes]


# --------------------------------------------------------------------------- contact windows


def _windows() -> dict:
    return getattr(settings, "CONTACT_WINDOWS", {})


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@functools.lru_cache(maxsize=256)
def _window_schedule(purpose: str, tz: str, spec_key: str, closed: frozenset[date]) -> Schedule:
    spec = _windows()[purpose]
    start, end = (_hhmm(t) for t in spec["hours"])
    public, cuti_bersama = bool(spec.get("holidays")), bool(spec.get("cuti_bersama"))
    return Schedule.build(
        tz,
        {day: [(start, end)] for day in spec["weekdays"]},
        closed_dates=closed,
        holidays=NationalHolidays(public=public, cuti_bersama=cuti_bersama)
        if public or cuti_bersama
        else None,
    )


def window_schedule(
    purpose: str, tz: str, closed: frozenset[date] = frozenset()
) -> Schedule | None:
    """The contact hours of ``purpose`` in zone ``tz`` with the branch's ``closed`` dates;
    None when the purpose has no window."""
    spec = _windows().get(purpose)
    if spec is None:
        return None
    return _window_schedule(purpose, tz, repr(sorted(spec.items())), frozenset(closed))


def in_window(purpose: str, tz: str, at: datetime, closed: frozenset[date] = frozenset()) -> bool:
    schedule = window_schedule(purpose, tz, closed)
    return schedule is None or is_working_time(schedule, at)


def contact_hours(
    customer: Customer, purpose: str, since: datetime, days: int = 2
) -> list[tuple[datetime, datetime]] | None:
    """The moments ``customer`` may be contacted for ``purpose`` as UTC ``(start, end)``
    windows, from the local day of ``since`` on for ``days`` days: the very schedule that
    :func:`contactability` checks (home-branch zone, national holidays, the branch's closed
    days), for a device that must warn while it cannot ask (the field agents' offline app).
    None when the purpose has no window (any moment)."""
    if purpose not in _windows():
        return None
    row = Customer.objects.filter(pk=customer.pk).values("home_branch_id", "home_branch__timezone")[
        0
    ]
    zone = row["home_branch__timezone"]
    first = since.astimezone(ZoneInfo(zone)).date()
    closed = _closed_dates_of_branch(purpose, first, row["home_branch_id"])
    schedule = window_schedule(purpose, zone, closed)
    return [
        window
        for offset in range(max(0, min(days, 14)))
        for window in schedule.utc_windows(first + timedelta(days=offset))
    ]


def wait_over_at(purpose: str, reason: str, tz: str, at: datetime) -> datetime:
    """When a set-based sender should ask again about a contact that at ``at`` only waits
    for ``reason`` (``OUTSIDE_WINDOW`` or ``FREQUENCY_CAP``) for a customer in zone ``tz``:
    the purpose's next window opening — after the current local day for a cap (a day cap is
    over then; a week cap answers "wait" again, and the sender comes back the next day).
    Never later than the one-customer form's ``next_window_at``, and always after ``at``
    (a branch's own closed day, which the zone's window does not know, moves it to the next
    day's opening): a sender that asks then either contacts or waits again."""
    schedule = window_schedule(purpose, tz)
    day_over = period_end("day", tz, at)
    moment = day_over if reason == Reason.FREQUENCY_CAP else at
    if schedule is not None:
        moment = _next_working_moment(schedule, moment)
    if moment <= at:
        moment = _next_working_moment(schedule, day_over) if schedule else day_over
    return moment


def _zones_outside_window(purpose: str, at: datetime) -> list[str]:
    return [tz for tz in TimeZoneChoice.values if not in_window(purpose, tz, at)]


def _closing_kinds(purpose: str) -> list[str]:
    """The kinds of a branch calendar's own days that close the purpose's window: the
    calendar's holidays and cuti bersama under the same switches as the national ones,
    regional holidays under ``"regional_holidays"``. Extra working days of staff never open
    a contact window."""
    spec = _windows().get(purpose) or {}
    switches = {
        CalendarDayKind.HOLIDAY: "holidays",
        CalendarDayKind.CUTI_BERSAMA: "cuti_bersama",
        CalendarDayKind.REGIONAL_HOLIDAY: "regional_holidays",
    }
    return [str(kind) for kind, switch in switches.items() if spec.get(switch)]


def _closed_dates_of_branch(purpose: str, since: date, branch_id) -> frozenset[date]:
    """One branch's closing dates from ``since`` on (its own active calendar, else the
    default one, as :func:`_branches_closed_at` chooses), in one query."""
    kinds = _closing_kinds(purpose)
    if not kinds:
        return frozenset()
    own = BranchCalendar.objects.filter(branch_id=branch_id, calendar__is_active=True)
    default = BusinessCalendar.objects.filter(is_default=True)
    calendar = Coalesce(Subquery(own.values("calendar_id")[:1]), Subquery(default.values("pk")[:1]))
    return frozenset(
        CalendarDay.objects.filter(
            kind__in=kinds, date__gte=since, calendar_id=calendar
        ).values_list("date", flat=True)
    )


def _branches_closed_at(purpose: str, at: datetime) -> list:
    """Branches whose calendar closes the local date of ``at`` in their zone: their own active
    calendar, else the default one (as ``calendars.schedules`` chooses). Three small queries
    over branches and calendar days, never over customers."""
    kinds = _closing_kinds(purpose)
    if not kinds:
        return []
    zones = dict(Branch.objects.values_list("pk", "timezone"))
    own = dict(
        BranchCalendar.objects.filter(calendar__is_active=True).values_list(
            "branch_id", "calendar_id"
        )
    )
    default = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
    local_dates = {tz: at.astimezone(ZoneInfo(tz)).date() for tz in TimeZoneChoice.values}
    closed = set(
        CalendarDay.objects.filter(kind__in=kinds, date__in=set(local_dates.values())).values_list(
            "calendar_id", "date"
        )
    )
    return [
        pk
        for pk, tz in zones.items()
        if (own.get(pk, default), at.astimezone(ZoneInfo(tz)).date()) in closed
    ]


# --------------------------------------------------------------------------- frequency caps


def _caps() -> dict:
    return getattr(settings, "CONTACT_CAPS", {})


def caps_for(purpose: str, channel: str) -> dict[str, int]:
    """``{"day": n, "week": m}`` (either may be missing) for messages of ``purpose`` on
    ``channel``; empty when uncapped or when nobody registered a counter."""
    if not len(registry.contact_counters):
        return {}
    caps = (_caps().get(purpose) or {}).get(channel) or {}
    unknown = set(caps) - {"day", "week"}
    if unknown:
        raise ImproperlyConfigured(f"CONTACT_CAPS[{purpose}][{channel}]: unknown {unknown}")
    return {period: int(limit) for period, limit in caps.items()}


def period_start(period: str, tz: str, at: datetime) -> datetime:
    """The start of ``at``'s calendar day or week (Monday 00:00) in zone ``tz``."""
    local = at.astimezone(ZoneInfo(tz)).date()
    if period == "week":
        local -= timedelta(days=local.weekday())
    return datetime.combine(local, time(0), tzinfo=ZoneInfo(tz))


def period_end(period: str, tz: str, at: datetime) -> datetime:
    """The first moment of the next day or week in zone ``tz``."""
    start = period_start(period, tz, at).date()
    following = start + timedelta(days=7 if period == "week" else 1)
    return datetime.combine(following, time(0), tzinfo=ZoneInfo(tz))


def _sent_since(purpose: str, channel: str, since: datetime):
    """Messages to the customer (``OuterRef("pk")``) since ``since``, over every counter."""
    counts = [
        Coalesce(counter(purpose, channel, since), Value(0))
        for counter in registry.contact_counters.values()
    ]
    return functools.reduce(lambda left, right: left + right, counts)


def _cap_reached(purpose: str, channel: str, tz: str, at: datetime) -> Q | None:
    """True for the customer once a cap of the current day or week in ``tz`` is reached."""
    caps = caps_for(purpose, channel)
    reached = [
        Q(GreaterThanOrEqual(_sent_since(purpose, channel, period_start(period, tz, at)), limit))
        for period, limit in caps.items()
    ]
    return functools.reduce(lambda left, right: left | right, reached) if reached else None


# --------------------------------------------------------------------------- preferences


def _preference_applies(purpose: str, channel: str) -> bool:
    return purpose in PreferencePurpose.values and channel in PreferredChannel.values


def _other_channel_preferred(purpose: str, channel: str) -> Exists:
    """The customer (``OuterRef("pk")``) named a channel other than ``channel`` for
    ``purpose``: the one condition both forms of ``NOT_PREFERRED`` use.

    For an offer, a preference for a channel the customer has since withdrawn marketing on
    (an unsubscribe link, a STOP reply) no longer turns the other channels away: the later
    and narrower word wins, and the offer may go on another channel they consented to (issue
    17: a sender falls back to the next channel of ``messaging.contract.channel_order``)."""
    preferences = ContactPreference.objects.filter(
        customer=OuterRef("pk"), purpose=purpose
    ).exclude(channel=channel)
    if purpose == Purpose.OFFER:
        preferences = preferences.exclude(
            Exists(
                ChannelConsentState.objects.filter(
                    customer=OuterRef("customer"),
                    consent_type=ConsentType.MARKETING,
                    channel=OuterRef("channel"),
                    status=ConsentStatus.WITHDRAWN,
                )
            )
        )
    return Exists(preferences)


def preferred_channel(customer: Customer, purpose: str) -> str:
    """The channel ``customer`` named for ``purpose``, or "" (any channel). For a sender
    choosing where to send; whether it may is still :func:`contactability`'s answer."""
    return (
        ContactPreference.objects.filter(customer=customer, purpose=purpose)
        .values_list("channel", flat=True)
        .first()
        or ""
    )


def preferred_channels(customer_ids, purpose: str) -> dict:
    """``{customer id: channel}`` for the customers of ``customer_ids`` who named one for
    ``purpose`` (one query, for a batch of notices)."""
    return dict(
        ContactPreference.objects.filter(
            customer_id__in=list(customer_ids), purpose=purpose
        ).values_list("customer_id", "channel")
    )


def with_preferred_channel(customers: QuerySet[Customer], purpose: str, name: str):
    """The set form of :func:`preferred_channel`: each customer of ``customers`` with
    ``name``, the channel they named for ``purpose`` or "" — for a sender that counts where
    its messages would go without reading the customers (``messaging.contract.choice_counts``)."""
    named = ContactPreference.objects.filter(customer=OuterRef("pk"), purpose=purpose)
    return customers.annotate(**{name: Coalesce(Subquery(named.values("channel")[:1]), Value(""))})


# --------------------------------------------------------------------------- one customer


@dataclass(frozen=True)
class Contactability:
    """The answer: ``allowed``, or the reasons why not (first = the one to show)."""

    allowed: bool
    reasons: tuple[str, ...]
    next_window_at: datetime | None = None

    @property
    def must_wait(self) -> bool:
        """Only the contact window or a frequency cap stands in the way: try again at
        ``next_window_at``."""
        return bool(self.reasons) and set(self.reasons) <= WAITS

    @property
    def refused(self) -> bool:
        return bool(self.reasons) and not self.must_wait

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""

    @property
    def labels(self) -> list[str]:
        return [reason_label(code) for code in self.reasons]


def _check_args(purpose: str, channel: str) -> None:
    if purpose not in Purpose.values:
        raise ValueError(f"unknown contact purpose {purpose!r}")
    if channel not in ContactChannel.values:
        raise ValueError(f"unknown contact channel {channel!r}")


def _marketing_withdrawn_on(channel: str) -> Q:
    from amanah.consent.services import channel_withdrawals

    return Q(pk__in=channel_withdrawals(ConsentType.MARKETING, channel))


# The 360 and the facts other apps add to it ask the same question about the same customer in
# several places: inside ``answered_once()`` (``core.reads.one_view``) it is answered from the
# database once. Nothing inside may change what the answer reads (consent, suppressions,
# cases); the answers are forgotten when the block ends.
answered_once = reads.one_view


def contactability(
    customer: Customer, purpose: str, channel: str, at: datetime | None = None
) -> Contactability:
    if at is not None:
        return _contactability(customer, purpose, channel, at)
    key = ("consent.contactability", customer.pk, purpose, channel)
    return reads.remembered(key, lambda: _contactability(customer, purpose, channel))


@prepared(Customer, params=("customer",))
def _state_row(_actor, *, customer: Customer, purpose: str, channel: str, blockers: tuple):
    """The customer's row with one EXISTS per check of ``purpose`` on ``channel`` (kept
    compiled per purpose, channel and registered blockers: ``core.prepared``)."""
    checks = {f"_blocked_by_{n}": b.condition() for n, b in enumerate(blockers)}
    if purpose == Purpose.OFFER:
        checks["_granted"] = Exists(
            ConsentState.objects.filter(
                customer=OuterRef("pk"),
                consent_type=ConsentType.MARKETING,
                status=ConsentStatus.GRANTED,
            )
        )
        checks["_channel_withdrawn"] = Exists(
            ChannelConsentState.objects.filter(
                customer=OuterRef("pk"),
                consent_type=ConsentType.MARKETING,
                channel=channel,
                status=ConsentStatus.WITHDRAWN,
            )
        )
        checks["_suppressed"] = Exists(Suppression.objects.filter(customer=OuterRef("pk")))
    if _preference_applies(purpose, channel):
        checks["_not_preferred"] = _other_channel_preferred(purpose, channel)
    return (
        Customer.objects.filter(pk=customer.pk)
        .annotate(**checks)
        .values("status", "merged_into_id", "home_branch_id", "home_branch__timezone", *checks)[:1]
    )


def _contactability(
    customer: Customer, purpose: str, channel: str, at: datetime | None = None
) -> Contactability:
    """May ``customer`` be contacted for ``purpose`` on ``channel`` at ``at``?

    Reads the current state in one query (one EXISTS per check), plus a few small ones for
    the branch's closed days and the caps when ``at`` is given; ``at=None`` leaves windows
    and caps out. Unknown purposes or channels are a programming error (ValueError).
    """
    _check_args(purpose, channel)
    blockers = tuple(_blockers_for(purpose))
    row = _state_row(None, customer=customer, purpose=purpose, channel=channel, blockers=blockers)[
        0
    ]
    reasons: list[str] = []
    if purpose == Purpose.OFFER:
        if row["status"] == CustomerStatus.CLOSED or row["merged_into_id"]:
            reasons.append(Reason.CUSTOMER_INACTIVE)
        if not row["_granted"]:
            reasons.append(Reason.NO_CONSENT)
        if row["_channel_withdrawn"]:
            reasons.append(Reason.CHANNEL_WITHDRAWN)
        if row["_suppressed"]:
            reasons.append(Reason.DO_NOT_CONTACT)
    if row.get("_not_preferred"):
        reasons.append(Reason.NOT_PREFERRED)
    reasons += [b.code for n, b in enumerate(blockers) if row[f"_blocked_by_{n}"]]
    next_window_at = None
    if at is not None:
        waits, next_window_at = _waits(customer, purpose, channel, at, row)
        reasons += waits
    return Contactability(not reasons, tuple(str(r) for r in reasons), next_window_at)


def _waits(customer, purpose, channel, at, row) -> tuple[list[str], datetime | None]:
    """The window and the caps for one customer: the reasons to wait and until when."""
    zone, waits = row["home_branch__timezone"], []
    closed = frozenset()
    if purpose in _windows():
        since = at.astimezone(ZoneInfo(zone)).date()
        closed = _closed_dates_of_branch(purpose, since, row["home_branch_id"])
    schedule = window_schedule(purpose, zone, closed)
    if schedule is not None and not is_working_time(schedule, at):
        waits.append(Reason.OUTSIDE_WINDOW)
    earliest = at
    for period in _periods_over_cap(customer, purpose, channel, zone, at):
        earliest = max(earliest, period_end(period, zone, at))
    if earliest != at:
        waits.append(Reason.FREQUENCY_CAP)
    if not waits:
        return [], None
    return waits, _next_working_moment(schedule, earliest) if schedule else earliest


def _periods_over_cap(customer, purpose, channel, zone, at) -> list[str]:
    caps = caps_for(purpose, channel)
    if not caps:
        return []
    counts = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            **{
                period: _sent_since(purpose, channel, period_start(period, zone, at))
                for period in caps
            }
        )
        .values(*caps)[0]
    )
    return [period for period, limit in caps.items() if counts[period] >= limit]


# --------------------------------------------------------------------------- many customers


def _flag(code: str) -> str:
    return f"blocked_{code.lower()}"


def _window_check(purpose: str, at: datetime) -> Q | None:
    outside = _zones_outside_window(purpose, at)
    closed_branches = _branches_closed_at(purpose, at)
    if not outside and not closed_branches:
        return None
    return Q(home_branch__timezone__in=outside) | Q(home_branch_id__in=closed_branches)


def _cap_check(purpose: str, channel: str, at: datetime) -> Q | None:
    per_zone = [
        (tz, reached)
        for tz in TimeZoneChoice.values
        if (reached := _cap_reached(purpose, channel, tz, at)) is not None
    ]
    if not per_zone:
        return None
    return functools.reduce(
        lambda left, right: left | right,
        (Q(home_branch__timezone=tz) & reached for tz, reached in per_zone),
    )


def with_contact_checks(
    customers: QuerySet[Customer],
    purpose: str,
    channel: str,
    at: datetime | None = None,
    *,
    reason: str = "contact_reason",
) -> QuerySet[Customer]:
    """The same rule for every row: a boolean ``blocked_<code>`` per check (``True`` = this
    check stands in the way) and ``reason``, the first failing code or ``''``.

    MARKETING consent is a LEFT JOIN to the one state per customer: over a whole population
    the planner hash-joins it, a fifth of the cost of an EXISTS probed once per row. The few
    per-channel withdrawals are an uncorrelated ``IN`` (one hashed subplan).
    """
    from amanah.consent.services import with_marketing_consent

    _check_args(purpose, channel)
    if purpose == Purpose.OFFER:
        customers = with_marketing_consent(customers, GRANTED)
    checks = _set_checks(purpose, channel, at)
    flags = {
        _flag(code): Case(
            When(condition, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        )
        for code, condition in checks
    }
    return customers.annotate(**flags, **{reason: _first_reason(checks)})


# The MARKETING consent column of the set form (``consent.services.with_marketing_consent``).
GRANTED = "consent_granted"


def _set_checks(purpose: str, channel: str, at: datetime | None) -> list[tuple[str, Q]]:
    """The rule's checks for ``channel`` in the order of their codes, as conditions on a
    customer row that has the ``GRANTED`` column (for an offer)."""
    checks: list[tuple[str, Q]] = []
    if purpose == Purpose.OFFER:
        checks += [
            (
                Reason.CUSTOMER_INACTIVE,
                Q(status=CustomerStatus.CLOSED) | Q(merged_into__isnull=False),
            ),
            (Reason.NO_CONSENT, Q(**{GRANTED: False})),
            (Reason.CHANNEL_WITHDRAWN, _marketing_withdrawn_on(channel)),
            (
                Reason.DO_NOT_CONTACT,
                Q(Exists(Suppression.objects.filter(customer=OuterRef("pk")))),
            ),
        ]
    if _preference_applies(purpose, channel):
        checks.append((Reason.NOT_PREFERRED, Q(_other_channel_preferred(purpose, channel))))
    checks += [(b.code, Q(b.condition())) for b in _blockers_for(purpose)]
    if at is not None:
        if purpose in _windows() and (window := _window_check(purpose, at)) is not None:
            checks.append((Reason.OUTSIDE_WINDOW, window))
        if (cap := _cap_check(purpose, channel, at)) is not None:
            checks.append((Reason.FREQUENCY_CAP, cap))
    return checks


def _first_reason(checks: list[tuple[str, Q]]) -> Case:
    return Case(
        *(When(condition, then=Value(str(code))) for code, condition in checks),
        default=Value(""),
        output_field=models.CharField(),
    )


def with_channel_reasons(
    customers: QuerySet[Customer],
    purpose: str,
    channels,
    at: datetime | None = None,
    *,
    prefix: str = "contact_reason_",
) -> QuerySet[Customer]:
    """The same rule for every row and each of ``channels`` at once: ``<prefix><channel>``,
    the first failing code on that channel or ``''`` — for a sender that chooses among
    channels (``messaging.contract.channel_choices``) or counts who it can reach on any, in
    one statement. Agrees with :func:`with_contact_checks` channel by channel (tested)."""
    from amanah.consent.services import with_marketing_consent

    channels = list(dict.fromkeys(channels))
    for channel in channels:
        _check_args(purpose, channel)
    if purpose == Purpose.OFFER and GRANTED not in customers.query.annotations:
        customers = with_marketing_consent(customers, GRANTED)
    return customers.annotate(
        **{f"{prefix}{c}": _first_reason(_set_checks(purpose, c, at)) for c in channels}
    )


def contactable(
    customers: QuerySet[Customer], purpose: str, channel: str, at: datetime | None = None
) -> QuerySet[Customer]:
    """Only the customers who may be contacted (the set form of ``allowed``)."""
    return with_contact_checks(customers, purpose, channel, at, reason="_contact_reason").filter(
        _contact_reason=""
    )


def blocked_flag(code: str) -> str:
    """The annotation :func:`with_contact_checks` gives the check ``code``."""
    return _flag(code)
