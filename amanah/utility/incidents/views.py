"""Pages of area incidents: the list for a supervisor, one incident with its complaints and
the resolve action the engine says the viewer may take."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.utility.incidents import selectors, services
from amanah.utility.incidents.models import IncidentStatus
from amanah.utility.policies import INCIDENT_VIEW
from amanah.workflow.contract import available_transitions, history_for


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=gettext_lazy("Catatan penyelesaian"),
        max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@requires(INCIDENT_VIEW)
def incidents_page(request):
    status = request.GET.get("status", "")
    rows, counts = selectors.incident_list(request.user, status=status)
    statuses = [(value, label, counts.get(value, 0)) for value, label in IncidentStatus.choices]
    context = {"rows": rows, "statuses": statuses, "status": status}
    return render(request, "utility/incidents.html", context)


@requires(INCIDENT_VIEW)
def incident_detail(request, incident_id):
    incident = selectors.incident_get(request.user, incident_id)
    moves = available_transitions(request.user, incident)
    context = {
        "incident": incident,
        "complaints": selectors.incident_complaints(request.user, incident),
        "moves": moves,
        "resolve_form": ResolveForm(),
        "history": history_for(request.user, incident),
    }
    return render(request, "utility/incident.html", context)


@requires(INCIDENT_VIEW)  # the move's own permission is checked by the engine
@require_POST
def incident_resolve(request, incident_id):
    incident = selectors.incident_get(request.user, incident_id)
    form = ResolveForm(request.POST)
    back = reverse("utility:incident", args=[incident.pk])

    def resolve():
        services.incident_resolve(
            actor=request.user,
            incident_id=incident.pk,
            resolution_note=form.cleaned_data["resolution_note"],
        )
        return _("Gangguan %(number)s diselesaikan; pelanggan wilayah diberi tahu.") % {
            "number": incident.number
        }

    return run_action(request, resolve, back=back, form=form)
