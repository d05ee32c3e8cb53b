"""Pages of area incidents: the list for a supervisor, one incident with its complaints and
the resolve action the engine says the viewer may take."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.customers.selectors import branches_for_customers
from amanah.iam import authz
from amanah.iam.models import Branch
from amanah.utility.incidents import selectors, services
from amanah.utility.incidents.models import IncidentStatus
from amanah.utility.policies import INCIDENT_MANAGE, INCIDENT_VIEW
from amanah.utility.selectors import area_choices
from amanah.workflow.contract import available_transitions, history_for

RESTORE_FORMAT = "%Y-%m-%dT%H:%M"


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=gettext_lazy("Catatan penyelesaian (dikirim ke pelapor sebagai jawaban akhir)"),
        max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resolution_code = forms.ChoiceField(label=gettext_lazy("Kode penyelesaian pengaduan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["resolution_code"]
        field.choices = selectors.resolution_code_choices()
        field.initial = settings.UTILITY_INCIDENT_RESOLUTION_CODE


class OpenForm(forms.Form):
    """What a supervisor knows of an outage before the complaints come in; the rules are
    ``services.incident_open``'s."""

    area_code = forms.ChoiceField(label=gettext_lazy("Wilayah layanan"))
    category = forms.ChoiceField(label=gettext_lazy("Jenis gangguan"))
    cause = forms.CharField(
        label=gettext_lazy("Penyebab (dikirim ke pelanggan wilayah)"), max_length=services.CAUSE_MAX
    )
    expected_restore_at = forms.DateTimeField(
        label=gettext_lazy("Perkiraan waktu pulih (boleh kosong)"),
        required=False,
        input_formats=[RESTORE_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=RESTORE_FORMAT),
    )
    branch_id = forms.ChoiceField(label=gettext_lazy("Unit"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area_code"].choices = area_choices()
        self.fields["category"].choices = selectors.category_choices()
        self.fields["branch_id"].choices = [
            (str(b.pk), str(b)) for b in branches_for_customers(actor)
        ]


@requires(INCIDENT_VIEW)
def incidents_page(request):
    status = request.GET.get("status", "")
    rows, counts = selectors.incident_list(request.user, status=status)
    statuses = [(value, label, counts.get(value, 0)) for value, label in IncidentStatus.choices]
    context = {
        "rows": rows,
        "statuses": statuses,
        "status": status,
        "may_open": authz.has_perm(request.user, INCIDENT_MANAGE),
    }
    return render(request, "utility/incidents.html", context)


@requires(INCIDENT_MANAGE)
def incident_new(request):
    form = OpenForm(request.POST or None, actor=request.user)

    def submit(data):
        incident = services.incident_open(
            actor=request.user,
            area_code=data["area_code"],
            category=data["category"],
            branch=Branch.objects.filter(pk=data["branch_id"]).first(),
            cause=data["cause"],
            expected_restore_at=data["expected_restore_at"],
        )
        return Done(
            reverse("utility:incident", args=[incident.pk]),
            _("Gangguan %(number)s dibuka; pelanggan wilayah diberi tahu.")
            % {"number": incident.number},
        )

    return submit_form(request, form, submit, template="utility/incident_new.html", context={})


@requires(INCIDENT_VIEW)
def incident_detail(request, incident_id):
    incident = selectors.incident_get(request.user, incident_id)
    moves = available_transitions(request.user, incident)
    context = {
        "incident": incident,
        "complaints": selectors.incident_complaints(request.user, incident),
        "moves": moves,
        "resolve_form": ResolveForm(),
        "resolution_label": selectors.resolution_label(incident.resolution_code),
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
            resolution_code=form.cleaned_data["resolution_code"],
        )
        return _(
            "Gangguan %(number)s diselesaikan; pengaduannya dijawab dan ditutup, pelanggan "
            "wilayah diberi tahu."
        ) % {"number": incident.number}

    return run_action(request, resolve, back=back, form=form)
