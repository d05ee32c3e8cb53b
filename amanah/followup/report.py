"""The desk's daily report to ADMIN (issue 20: "a daily report to ADMIN: rotations, performance
per agent, load per agent"), through the messaging hub: IN_APP (the inbox, with a link to the
monitoring page) and e-mail, to every holder of ``followdesk.report`` (ADMIN by default: who
hears it is the editable matrix's business, not a role list here).

One day is a calendar day in the deployment's zone (``TIME_ZONE``, WIB for the bank). The
periodic job (``tasks.daily_report_job``, ``FOLLOWUP_REPORT_CRON``, by default 07:00 WIB)
reports the day before. Idempotent per day: every message is keyed by the outbox's own
``(source ROTATION, source_id "report:<day>", recipient, channel, step "daily_report")``, so a
retried or repeated job inserts nothing new, and a second run of the same day sends nothing
twice (the audit row says how many were already queued). Batched: one ``staff_queue_many`` per
channel for all recipients, a thousand rows a statement.

The report names agents (staff) and counts; no customer appears in it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.followup import selectors
from amanah.followup.models import RotationReason
from amanah.followup.policies import DESK_MONITOR, DESK_REPORT
from amanah.iam import authz
from amanah.iam.contract import holders_of
from amanah.messaging.contract import Channel, MessageSource, Rendered, staff_queue_many

REPORT_SENT = "followup.daily_report_sent"  # fn(*, actor, day, counts)
STEP = "daily_report"
# Not a person: reads the whole desk (monitor) to report on it, nothing else.
REPORTER = declare_actor("followup-report", permissions=(DESK_MONITOR,), all_branches=True)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a calendar day in the deployment's zone, as aware datetimes."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _money(amount) -> str:
    return "Rp " + number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)


def report_content(*, actor, day: date) -> Rendered:
    """The report of ``day`` as one IN_APP/e-mail content (figures read through ``actor``)."""
    start, end = day_bounds(day)
    counts = selectors.rotation_counts(actor=actor, start=start, end=end)
    moved = {k: v for k, v in counts.items() if k not in (RotationReason.NEW_MEMBER,)}
    rows = selectors.agent_performance(actor=actor, start=start, end=end)
    when = day.strftime("%d-%m-%Y")
    subject = _("Laporan meja tindak lanjut %(day)s: %(n)s rotasi") % {
        "day": when,
        "n": sum(v for k, v in moved.items() if k != RotationReason.MEMBER_DONE),
    }
    by_reason = ", ".join(
        f"{RotationReason(reason).label}: {n}" for reason, n in sorted(counts.items())
    )
    lines = [
        _("Rotasi dan penugasan %(day)s: %(list)s.") % {"day": when, "list": by_reason or "-"},
        _("Member menunggu agen sekarang: %(n)s.") % {"n": selectors.waiting_count(actor=actor)},
        "",
        _(
            "Per agen — no. urut, nama: beban sekarang/kapasitas; member diterima; tindak lanjut; "
            "setoran (jumlah); konversi setoran dari member yang diterima."
        ),
    ]
    for row in rows:
        conversion = "-" if row["conversion"] is None else f"{row['conversion']}%"
        lines.append(
            _(
                "%(position)s. %(name)s: %(load)s/%(capacity)s; %(assigned)s diterima; "
                "%(followups)s tindak lanjut; %(deposits)s setoran (%(amount)s); konversi "
                "%(conversion)s"
            )
            % {
                **row,
                "amount": _money(row["deposit_amount"]),
                "conversion": conversion,
            }
        )
    return Rendered(subject=subject, text="\n".join(lines), media_url=reverse("followup:dashboard"))


@transaction.atomic
def daily_report_send(*, actor, day: date, now: datetime | None = None) -> dict:
    """Queue the report of ``day`` to every holder of ``followdesk.report`` on IN_APP and
    e-mail, once per day and recipient (see the module docstring); returns the counts per
    channel. Refuses a day that has not ended yet (its figures would still change)."""
    authz.require(actor, DESK_MONITOR)
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ServiceError("day_invalid", _("Tanggal laporan tidak sah."), field="day")
    if day_bounds(day)[1] > (now or timezone.now()):
        raise ServiceError("day_not_over", _("Hari itu belum selesai."), field="day")
    users = list(holders_of(DESK_REPORT).order_by("pk"))
    content = report_content(actor=actor, day=day)
    counts = {}
    for channel in (Channel.IN_APP, Channel.EMAIL):
        counts[str(channel)] = staff_queue_many(
            actor=actor,
            channel=channel,
            source=MessageSource.ROTATION,
            source_id=f"report:{day.isoformat()}",
            step=STEP,
            notices=[(user, content) for user in users],
        )
    events.emit(REPORT_SENT, actor=actor, day=day.isoformat(), counts=counts)
    audit.record(
        actor=actor,
        action=AuditAction.SEND_FOLLOWUP_REPORT,
        object_type="followup.DailyReport",
        object_id=day.isoformat(),
        meta={
            "recipients": len(users),
            **{f"{ch.lower()}_queued": c["queued"] for ch, c in counts.items()},
            **{f"{ch.lower()}_already": c["already_queued"] for ch, c in counts.items()},
        },
    )
    return counts
