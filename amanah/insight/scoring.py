"""Lead score signals insight can feed (seed 001 §8 table), each with the reason shown in the
lead's breakdown. Registered in ``insight/contract.py`` through sales' ``register_signal``;
sales' scoring calls them with the customer only (a score is the lead's, not a viewer's), so
they read without a scope and say nothing but counts and dates.

* RFM_SEGMENT — CHAMPION +30, LOYAL +20 (the latest RFM run);
* RECENT_ENGAGEMENT +10 — the customer opened or clicked a message of the hub in the last
  7 days (``messaging.Engagement``: first open / first click per message);
* EMAIL_OPENED +5 — an e-mail of the hub opened in the last 90 days;
* BRANCH_VISIT +5 — the customer was at a branch in the last 90 days: a teller transaction in
  the feed (channel TELLER) or a complaint taken at the branch counter (case channel BRANCH).

BROCHURE_DOWNLOAD has no source in the house yet (no brochure is served by the product), so
sales' breakdown keeps saying "data belum tersedia" for it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from amanah.insight.rules import Segment
from amanah.sales.scoring import Signal

ENGAGEMENT_DAYS = 7
EMAIL_DAYS = 90
VISIT_DAYS = 90


def rfm_signal(customer) -> Signal:
    """RFM_SEGMENT: CHAMPION +30, LOYAL +20."""
    from amanah.insight.models import RfmScore

    latest = RfmScore.objects.filter(customer=customer).order_by("-run_id").first()
    if latest is None:
        return Signal(0, _("Belum ada perhitungan RFM"))
    points = {Segment.CHAMPION: 30, Segment.LOYAL: 20}.get(latest.segment, 0)
    return Signal(points, _("Segmen RFM %s") % Segment(latest.segment).label)


def _engagements(customer, since, **filters):
    from amanah.messaging.models import Engagement

    return Engagement.objects.filter(message__customer=customer, at__gte=since, **filters)


def _day(moment) -> str:
    return date_format(timezone.localtime(moment).date(), "j M Y")


def recent_engagement_signal(customer) -> Signal:
    """RECENT_ENGAGEMENT: a message opened or clicked in the last 7 days."""
    since = timezone.now() - timedelta(days=ENGAGEMENT_DAYS)
    last = _engagements(customer, since, kind__in=["OPEN", "CLICK"]).order_by("-at").first()
    if last is None:
        return Signal(0, _("Tidak ada pesan dibuka/diklik dalam %d hari") % ENGAGEMENT_DAYS)
    return Signal(
        10,
        _("Pesan %(kind)s pada %(day)s")
        % {"kind": last.get_kind_display().lower(), "day": _day(last.at)},
    )


def email_opened_signal(customer) -> Signal:
    """EMAIL_OPENED: an e-mail of the hub opened in the last 90 days."""
    since = timezone.now() - timedelta(days=EMAIL_DAYS)
    last = _engagements(customer, since, kind="OPEN", message__channel="EMAIL").order_by("-at")
    opened = last.first()
    if opened is None:
        return Signal(0, _("Tidak ada email dibuka dalam %d hari") % EMAIL_DAYS)
    return Signal(5, _("Email dibuka pada %s") % _day(opened.at))


def branch_visit_signal(customer) -> Signal:
    """BRANCH_VISIT: a teller transaction or a complaint at the counter in the last 90 days."""
    from amanah.cases.models import Case
    from amanah.insight.models import Transaction, TxChannel

    today = timezone.localdate()
    teller = (
        Transaction.objects.filter(
            customer=customer,
            channel=TxChannel.TELLER,
            booked_on__gte=today - timedelta(days=VISIT_DAYS),
        )
        .order_by("-booked_on")
        .values_list("booked_on", flat=True)
        .first()
    )
    counter = (
        Case.objects.filter(
            customer=customer,
            channel="BRANCH",
            received_at__gte=timezone.now() - timedelta(days=VISIT_DAYS),
        )
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    counter_day = timezone.localtime(counter).date() if counter else None
    visits = [d for d in (teller, counter_day) if d is not None]
    if not visits:
        return Signal(0, _("Tidak ada kunjungan cabang dalam %d hari") % VISIT_DAYS)
    last = max(visits)
    why = _("transaksi teller") if last == teller else _("pengaduan di kantor cabang")
    return Signal(
        5,
        _("Berkunjung ke cabang %(day)s (%(why)s)")
        % {"day": date_format(last, "j M Y"), "why": why},
    )


# --------------------------------------------------------------------------- rescoring
# Seed 001 §8: when an event moves one of the signals above, the open leads of the customers
# it concerns are scored again through sales' published rescoring (sales owns the leads).


def rescore_after_rfm(*, actor, run, **_ignored) -> None:
    """``insight.rfm_computed`` (deferred: a run covers everyone): every open lead."""
    from amanah.sales.scoring import rescore_leads_of

    rescore_leads_of(None)


def rescore_after_transactions(*, actor, first_id, last_id, **_ignored) -> None:
    """``insight.transactions_recorded``: the customers of the batch's teller transactions
    (a branch visit), by the batch's id range."""
    from amanah.insight.models import Transaction, TxChannel
    from amanah.sales.scoring import rescore_leads_of

    if first_id is None or last_id is None:
        return
    visited = Transaction.objects.filter(
        pk__gte=first_id, pk__lte=last_id, channel=TxChannel.TELLER
    ).values("customer_id")
    rescore_leads_of(visited)


def rescore_after_counter_case(*, actor, case, **_ignored) -> None:
    """``cases.case_created``: a complaint taken at the counter is a branch visit."""
    from amanah.sales.scoring import rescore_open_leads

    if case.channel == "BRANCH":
        rescore_open_leads(case.customer)
