"""The schedule calendar of journeys and campaigns (seed 001 §6C), one month at a time, in
the reader's zone (the active zone: the user's branch).

What has a moment: a journey version activated or ended; each run of a SCHEDULE trigger
(projected with ``triggers.next_run`` — on the organisation's working dates — for versions
not yet running, from ``next_run_at`` for a running one); a WAIT-until-date of a version
submitted, approved or running; a campaign approved (ready to send) or sent. Every row
starts from ``visible_to(actor)`` of its model: an actor who may not see campaigns sees the
journeys only. Read-only; a few small queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.calendars.contract import organisation_schedule
from amanah.journeys.models import JourneyNode, JourneyStatus, MarketingJourney, TriggerType

PLANNED = (JourneyStatus.SUBMITTED, JourneyStatus.APPROVED, JourneyStatus.ACTIVE)
MAX_RUNS_SHOWN = 31  # a daily schedule fills a month once


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # JOURNEY_START, JOURNEY_END, SCHEDULE_RUN, WAIT_UNTIL, CAMPAIGN_READY, CAMPAIGN_SENT
    label: str
    url: str


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first moment of ``month`` and of the next one, in the active zone."""
    zone = timezone.get_current_timezone()
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(following, time.min, tzinfo=zone),
    )


def _runs(journey: MarketingJourney, start: datetime, end: datetime, schedule) -> list[datetime]:
    """The trigger's runs in [start, end), on the organisation's working dates (``schedule``)
    as the trigger runs them."""
    from amanah.journeys.triggers import next_run

    if journey.status == JourneyStatus.ACTIVE:
        run = journey.next_run_at
    elif journey.status in PLANNED:
        run = next_run(journey, start - timedelta(microseconds=1), schedule)
    else:
        return []
    runs = []
    while run is not None and run < end and len(runs) < MAX_RUNS_SHOWN:
        if run >= start:
            runs.append(run)
        run = next_run(journey, run, schedule)
    return runs


def _journey_entries(actor, start: datetime, end: datetime) -> list[Entry]:
    journeys = MarketingJourney.objects.visible_to(actor)
    entries = []

    def url(j):
        return reverse("journeys:detail", args=[j.pk])

    for j in journeys.filter(activated_at__gte=start, activated_at__lt=end):
        entries.append(Entry(j.activated_at, "JOURNEY_START", f"{j.name} v{j.version}", url(j)))
    for j in journeys.filter(ended_at__gte=start, ended_at__lt=end, activated_at__isnull=False):
        entries.append(Entry(j.ended_at, "JOURNEY_END", f"{j.name} v{j.version}", url(j)))
    scheduled = journeys.filter(trigger_type=TriggerType.SCHEDULE, status__in=PLANNED)
    schedule = organisation_schedule() if scheduled else None
    for j in scheduled:
        entries += [
            Entry(run, "SCHEDULE_RUN", f"{j.name} v{j.version}", url(j))
            for run in _runs(j, start, end, schedule)
        ]
    waits = JourneyNode.objects.filter(
        journey__in=journeys.filter(status__in=(*PLANNED, JourneyStatus.PAUSED)),
        type="WAIT",
        config__mode="UNTIL_DATE",
    ).select_related("journey")
    for node in waits:
        try:
            at = datetime.fromisoformat(node.config.get("date") or "")
        except ValueError:
            continue
        if start <= at < end:
            j = node.journey
            entries.append(Entry(at, "WAIT_UNTIL", f"{j.name} v{j.version} · {node.key}", url(j)))
    return entries


def _campaign_entries(actor, start: datetime, end: datetime) -> list[Entry]:
    from amanah.marketing.models import Campaign, CampaignStatus

    campaigns = Campaign.objects.visible_to(actor)
    entries = []
    for c in campaigns.filter(executed_at__gte=start, executed_at__lt=end):
        url = reverse("marketing:campaign_detail", args=[c.pk])
        entries.append(Entry(c.executed_at, "CAMPAIGN_SENT", c.name, url))
    ready = campaigns.filter(
        status=CampaignStatus.APPROVED, approved_at__gte=start, approved_at__lt=end
    )
    for c in ready:
        url = reverse("marketing:campaign_detail", args=[c.pk])
        entries.append(Entry(c.approved_at, "CAMPAIGN_READY", c.name, url))
    return entries


def kind_labels() -> dict[str, str]:
    return {
        "JOURNEY_START": _("Journey aktif"),
        "JOURNEY_END": _("Journey selesai"),
        "SCHEDULE_RUN": _("Jadwal pemicu"),
        "WAIT_UNTIL": _("Tunggu sampai"),
        "CAMPAIGN_READY": _("Kampanye siap kirim"),
        "CAMPAIGN_SENT": _("Kampanye dikirim"),
    }


def month_calendar(*, actor, month: date) -> dict:
    """``{"weeks": [[{"day": date, "in_month": bool, "entries": [...]}, × 7], …],
    "entries": n, "previous": date, "next": date}`` — weeks Monday first."""
    start, end = month_bounds(month)
    zone = timezone.get_current_timezone()
    entries = sorted(
        _journey_entries(actor, start, end) + _campaign_entries(actor, start, end),
        key=lambda e: (e.at, e.kind, e.label),
    )
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.at.astimezone(zone).date(), []).append(entry)
    first = start.date()
    day = first - timedelta(days=first.weekday())
    weeks = []
    while day < end.date():
        week = []
        for _i in range(7):
            week.append(
                {"day": day, "in_month": day.month == first.month, "entries": by_day.get(day, [])}
            )
            day += timedelta(days=1)
        weeks.append(week)
    return {
        "weeks": weeks,
        "entries": len(entries),
        "month": first,
        "previous": (first - timedelta(days=1)).replace(day=1),
        "next": end.date(),
    }
