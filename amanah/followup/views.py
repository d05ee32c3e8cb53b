from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.followup import selectors, services
from amanah.followup.forms import LogForm
from amanah.followup.policies import DESK_MONITOR, DESK_WORK


@requires(DESK_WORK)
def my(request):
    """The agent's "Tindak lanjut" page: my members, time left, last contact, deposit status,
    the follow-up log. Nothing here moves a member."""
    return render(
        request,
        "followup/my.html",
        {
            "members": selectors.my_members(actor=request.user),
            "window_hours": selectors.window_hours(),
            "form": LogForm(),
        },
    )


@requires(DESK_WORK)
@require_POST
def log_add(request, member_id):
    member = selectors.member_get(actor=request.user, member_id=member_id)
    form = LogForm(request.POST)

    def add():
        services.followup_log_add(
            actor=request.user,
            member=member,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
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
