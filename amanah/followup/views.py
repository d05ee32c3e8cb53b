from datetime import timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.followup import selectors, services
from amanah.followup.forms import DashboardForm, LogForm
from amanah.followup.models import LogKind, RotationReason
from amanah.followup.policies import DESK_MONITOR, DESK_WORK


@requires(DESK_WORK)
def my(request):
    """The agent's "Tindak lanjut" page: my members, time left, last contact, deposit status,
    the agents before me, the follow-up log, and whether a WhatsApp may go now (the contact
    rule's verdict, with its reason). Nothing here moves a member."""
    members = list(selectors.my_members(actor=request.user))
    sequences = selectors.agent_sequences(m.pk for m in members)
    verdicts = selectors.whatsapp_verdicts(members)
    for member in members:
        member.sequence = sequences.get(member.pk, [])
        member.whatsapp = verdicts.get(member.customer_id, {})
        for log in member.logs.all():
            log.not_sent_label = selectors.not_sent_label(log.not_sent_reason)
    return render(
        request,
        "followup/my.html",
        {
            "members": members,
            "window_hours": selectors.window_hours(),
            "form": LogForm(),
            "whatsapp": LogKind.WHATSAPP,
        },
    )


@requires(DESK_WORK)
@require_POST
def log_add(request, member_id):
    member = selectors.member_get(actor=request.user, member_id=member_id)
    form = LogForm(request.POST)

    def add():
        log = services.followup_log_add(
            actor=request.user,
            member=member,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
        if log.not_sent_reason:
            label = selectors.not_sent_label(log.not_sent_reason)
            return _("Tindak lanjut dicatat; WhatsApp tidak dikirim: %(reason)s.") % {
                "reason": label
            }
        if log.message_id:
            return _("Tindak lanjut dicatat; WhatsApp diantrekan di pusat pesan.")
        return _("Tindak lanjut dicatat.")

    return run_action(request, add, back=reverse("followup:my"), form=form)


@requires(DESK_MONITOR)
@reads_from_replica()
def dashboard(request):
    """Monitoring (seed 004 "Monitoring"): members due to rotate in the next hours, load per
    agent (chart and table), deposit conversion and follow-ups per agent, rotation statistics
    and history, and each listed member's sequence of agents (its page has the whole story)."""
    actor = request.user
    form = DashboardForm(request.GET)
    choice = form.cleaned_data if form.is_valid() else {}
    hours, days = choice.get("hours") or 6, choice.get("days") or 1
    end = timezone.now()
    start = (
        timezone.localtime(end).replace(hour=0, minute=0, second=0, microsecond=0)
        if days == 1
        else end - timedelta(days=days)
    )
    performance = selectors.agent_performance(actor=actor, start=start, end=end)
    due = list(selectors.due_soon(actor=actor, hours=hours))
    rotations = list(selectors.rotations_recent(actor=actor))
    sequences = selectors.agent_sequences({m.pk for m in due} | {r.member_id for r in rotations})
    for row in due:
        row.sequence = sequences.get(row.pk, [])
    for row in rotations:
        row.sequence = sequences.get(row.member_id, [])
    labels = [f"{row['position']}. {row['name']}" for row in performance]
    return render(
        request,
        "followup/dashboard.html",
        {
            "hours": hours,
            "days": days,
            "due": due,
            "rotations": rotations,
            "performance": performance,
            "counts": sorted(
                (str(RotationReason(reason).label), n)
                for reason, n in selectors.rotation_counts(
                    actor=actor, start=start, end=end
                ).items()
            ),
            "waiting": selectors.waiting_count(actor=actor),
            "refused": selectors.deposits_refused(),
            "load_chart": {
                "type": "bar",
                "labels": labels,
                "datasets": [
                    {"label": _("Member sekarang"), "data": [r["load"] for r in performance]},
                    {"label": _("Kapasitas"), "data": [r["capacity"] for r in performance]},
                ],
            },
            "conversion_chart": {
                "type": "bar",
                "labels": labels,
                "datasets": [
                    {
                        "label": _("Konversi setoran (%)"),
                        "data": [r["conversion"] for r in performance],
                    }
                ],
            },
        },
    )


@requires(DESK_MONITOR)
def member(request, member_id):
    """One member's whole story on the desk: its agents in order with each rotation's reason
    and time, the follow-ups and the deposits. Nothing here moves it."""
    member = selectors.member_get(actor=request.user, member_id=member_id)
    return render(
        request,
        "followup/member.html",
        {
            "member": member,
            "sequence": selectors.agent_sequences([member.pk]).get(member.pk, []),
            **selectors.member_story(actor=request.user, member=member),
        },
    )
