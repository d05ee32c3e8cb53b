from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.followup import selectors, services
from amanah.followup.forms import LogForm
from amanah.followup.models import LogKind
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
def dashboard(request):
    loads = selectors.agent_loads(actor=request.user)
    peak = max([row["load"] for row in loads] + [1])
    for row in loads:
        row["bar"] = round(100 * row["load"] / peak)
    return render(
        request,
        "followup/dashboard.html",
        {
            "due": selectors.due_soon(actor=request.user),
            "rotations": selectors.rotations_recent(actor=request.user),
            "loads": loads,
        },
    )
