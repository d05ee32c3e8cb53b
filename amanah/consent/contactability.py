"""May this customer be contacted for this purpose, on this channel, at this moment?

The one published rule (DESIGN §2.1, §6). Marketing eligibility and the send-time re-check,
service-to-sell follow-ups, sales hand-overs and the 360 ask it; nobody re-derives it.

It comes in two forms kept side by side and tested to agree (``tests/test_contactability``):

* :func:`contactability` — one customer, every reason, in Python;
* :func:`with_contact_checks` / :func:`contactable` — a whole queryset at once, in SQL
  (a million customers never pass through Python).

The checks, in the order a reason is reported (the first one names the verdict):

1. ``CUSTOMER_INACTIVE`` — closed or merged into another record (offers only);
2. ``NO_CONSENT`` — offers need MARKETING consent GRANTED (opt-in: no record means no);
3. ``DO_NOT_CONTACT`` — the customer is on the do-not-contact list (offers only);
4. blockers other apps register here, e.g. ``SENSITIVE_CASE`` from ``cases`` (an open fraud
   or scam case): consent sits below cases, so cases plugs its rule in instead of consent
   importing cases (:func:`register_contact_blocker`);
5. ``OUTSIDE_WINDOW`` — outside the purpose's contact hours in the customer's home-branch
   zone (``settings.CONTACT_WINDOWS``, national holidays from ``calendars``). This one is not
   a refusal but a *wait*: the same contact may be made when the window opens.

``at=None`` leaves the window out: "may this customer be contacted at all for this purpose"
(eligibility, follow-up tasks a person works on later). Senders pass the moment of sending.

TODO(frequency caps): a cap per purpose and period (e.g. at most N offers a week) belongs
here as one more check with the same two forms, once messaging keeps the outbox it counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from amanah.calendars.worktime import NationalHolidays, Schedule, is_working_time
from amanah.calendars.worktime import next_working_moment as _next_working_moment
from amanah.consent.models import ConsentState, ConsentStatus, ConsentType, Suppression
from amanah.core import registry
from amanah.core.registry import DuplicateRegistration
from amanah.customers.models import Customer, CustomerStatus
from amanah.iam.models import TimeZoneChoice


class Purpose(models.TextChoices):
    OFFER = "OFFER", _("Penawaran produk")
    COLLECTION = "COLLECTION", _("Penagihan")
    SERVICE = "SERVICE", _("Layanan (tanda terima, kabar kasus, survei)")
    STAFF = "STAFF", _("Pesan untuk staf")


class ContactChannel(models.TextChoices):
    PHONE = "PHONE", _("Telepon")
    VISIT = "VISIT", _("Kunjungan")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    EMAIL = "EMAIL", _("Email")
    PUSH = "PUSH", _("Notifikasi aplikasi")


class Reason(models.TextChoices):
    CUSTOMER_INACTIVE = "CUSTOMER_INACTIVE", _("Nasabah tidak aktif atau sudah digabung")
    NO_CONSENT = "NO_CONSENT", _("Persetujuan pemasaran tidak diberikan")
    DO_NOT_CONTACT = "DO_NOT_CONTACT", _("Masuk daftar jangan-dihubungi")
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW", _("Di luar jam kontak; dapat dicoba lagi nanti")


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
        codes += [Reason.CUSTOMER_INACTIVE, Reason.NO_CONSENT, Reason.DO_NOT_CONTACT]
    codes += [b.code for b in _blockers_for(purpose)]
    if purpose in _windows():
        codes.append(Reason.OUTSIDE_WINDOW)
    return [str(c) for c in codes]


# --------------------------------------------------------------------------- contact windows


def _windows() -> dict:
    return getattr(settings, "CONTACT_WINDOWS", {})


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@functools.lru_cache(maxsize=64)
def _window_schedule(purpose: str, tz: str, spec_key: str) -> Schedule:
    spec = _windows()[purpose]
    start, end = (_hhmm(t) for t in spec["hours"])
    return Schedule.build(
        tz,
        {day: [(start, end)] for day in spec["weekdays"]},
        holidays=NationalHolidays(public=True, cuti_bersama=False) if spec["holidays"] else None,
    )


def window_schedule(purpose: str, tz: str) -> Schedule | None:
    """The contact hours of ``purpose`` in zone ``tz``; None when the purpose has no window."""
    spec = _windows().get(purpose)
    if spec is None:
        return None
    return _window_schedule(purpose, tz, repr(sorted(spec.items())))


def in_window(purpose: str, tz: str, at: datetime) -> bool:
    schedule = window_schedule(purpose, tz)
    return schedule is None or is_working_time(schedule, at)


def _zones_outside_window(purpose: str, at: datetime) -> list[str]:
    return [tz for tz in TimeZoneChoice.values if not in_window(purpose, tz, at)]


# --------------------------------------------------------------------------- one customer


@dataclass(frozen=True)
class Contactability:
    """The answer: ``allowed``, or the reasons why not (first = the one to show)."""

    allowed: bool
    reasons: tuple[str, ...]
    next_window_at: datetime | None = None

    @property
    def must_wait(self) -> bool:
        """Only the contact window stands in the way: try again at ``next_window_at``."""
        return self.reasons == (Reason.OUTSIDE_WINDOW,)

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


def contactability(
    customer: Customer, purpose: str, channel: str, at: datetime | None = None
) -> Contactability:
    """May ``customer`` be contacted for ``purpose`` on ``channel`` at ``at``?

    Reads the current state in one query (one EXISTS per check); ``at=None`` leaves the
    contact window out. Unknown purposes or channels are a programming error (ValueError).
    """
    _check_args(purpose, channel)
    blockers = _blockers_for(purpose)
    checks = {f"_blocked_by_{n}": b.condition() for n, b in enumerate(blockers)}
    if purpose == Purpose.OFFER:
        checks["_granted"] = Exists(
            ConsentState.objects.filter(
                customer=OuterRef("pk"),
                consent_type=ConsentType.MARKETING,
                status=ConsentStatus.GRANTED,
            )
        )
        checks["_suppressed"] = Exists(Suppression.objects.filter(customer=OuterRef("pk")))
    row = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(**checks)
        .values("status", "merged_into_id", "home_branch__timezone", *checks)[0]
    )
    reasons: list[str] = []
    if purpose == Purpose.OFFER:
        if row["status"] == CustomerStatus.CLOSED or row["merged_into_id"]:
            reasons.append(Reason.CUSTOMER_INACTIVE)
        if not row["_granted"]:
            reasons.append(Reason.NO_CONSENT)
        if row["_suppressed"]:
            reasons.append(Reason.DO_NOT_CONTACT)
    reasons += [b.code for n, b in enumerate(blockers) if row[f"_blocked_by_{n}"]]
    next_window_at = None
    zone = row["home_branch__timezone"]
    if at is not None and not in_window(purpose, zone, at):
        reasons.append(Reason.OUTSIDE_WINDOW)
        next_window_at = _next_working_moment(window_schedule(purpose, zone), at)
    return Contactability(not reasons, tuple(str(r) for r in reasons), next_window_at)


# --------------------------------------------------------------------------- many customers


def _flag(code: str) -> str:
    return f"blocked_{code.lower()}"


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
    the planner hash-joins it, a fifth of the cost of an EXISTS probed once per row.
    """
    from amanah.consent.services import with_marketing_consent

    _check_args(purpose, channel)
    checks: list[tuple[str, Q]] = []
    if purpose == Purpose.OFFER:
        customers = with_marketing_consent(customers, "consent_granted")
        checks += [
            (
                Reason.CUSTOMER_INACTIVE,
                Q(status=CustomerStatus.CLOSED) | Q(merged_into__isnull=False),
            ),
            (Reason.NO_CONSENT, Q(consent_granted=False)),
            (
                Reason.DO_NOT_CONTACT,
                Q(Exists(Suppression.objects.filter(customer=OuterRef("pk")))),
            ),
        ]
    checks += [(b.code, Q(b.condition())) for b in _blockers_for(purpose)]
    if at is not None and purpose in _windows():
        outside = _zones_outside_window(purpose, at)
        if outside:
            checks.append((Reason.OUTSIDE_WINDOW, Q(home_branch__timezone__in=outside)))
    flags = {
        _flag(code): Case(
            When(condition, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        )
        for code, condition in checks
    }
    first = Case(
        *(When(condition, then=Value(str(code))) for code, condition in checks),
        default=Value(""),
        output_field=models.CharField(),
    )
    return customers.annotate(**flags, **{reason: first})


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
