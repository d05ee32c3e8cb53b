"""UU PDP pages: access exports (compliance), correction requests (front office records, a
second person reviews), personal-data breach incidents and their notification timer."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.masking import mask_name
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.core.zones import zone_label
from amanah.customers.contract import customer_for
from amanah.customers.selectors import customer_by_cif_in_branches
from amanah.iam import authz
from amanah.privacy import selectors, services
from amanah.privacy.forms import (
    BreachForm,
    CorrectionForm,
    DecideForm,
    DownloadForm,
    DsarForm,
    NotifyForm,
)
from amanah.privacy.models import BreachStatus, CorrectionRequest, CorrectionStatus
from amanah.privacy.policies import (
    PRIVACY_BREACH_MANAGE,
    PRIVACY_BREACH_VIEW,
    PRIVACY_CORRECTION_REQUEST,
    PRIVACY_CORRECTION_REVIEW,
    PRIVACY_DSAR,
)
from amanah.workflow.contract import available_transitions, moves_by_status

# --------------------------------------------------------------------------- access export


def _dsar_page(request, form=None) -> dict:
    rows = selectors.dsar_list(actor=request.user)
    return {
        "requests": [(r, mask_name(r.customer.full_name)) for r in rows],
        "form": form or DsarForm(),
    }


@requires(PRIVACY_DSAR)
def dsar_list(request):
    """The exports in scope, newest first, and the form that makes one."""
    return render(request, "privacy/dsar_list.html", _dsar_page(request))


@requires(PRIVACY_DSAR)
@require_POST
def dsar_create(request):
    form = DsarForm(request.POST)

    def submit(data):
        customer = customer_by_cif_in_branches(actor=request.user, cif=data["cif"])
        made = services.dsar_create(
            actor=request.user, customer=customer, reference=data["reference"]
        )
        return Done(reverse("privacy:dsar_detail", args=[made.pk]), _("Ekspor data subjek dibuat."))

    return submit_form(
        request,
        form,
        submit,
        template="privacy/dsar_list.html",
        context=lambda: _dsar_page(request, form),
    )


@requires(PRIVACY_DSAR)
def dsar_detail(request, request_id):
    made = selectors.dsar_get(actor=request.user, request_id=request_id)
    return render(
        request,
        "privacy/dsar_detail.html",
        {"made": made, "customer": mask_name(made.customer.full_name), "form": DownloadForm()},
    )


@requires(PRIVACY_DSAR)
@require_POST
def dsar_download(request, request_id):
    made = selectors.dsar_get(actor=request.user, request_id=request_id)
    form = DownloadForm(request.POST)

    def act():
        name, body = services.dsar_download(
            actor=request.user,
            request=made,
            fmt=form.cleaned_data["format"],
            reason=form.cleaned_data["reason"],
        )
        response = HttpResponse(body, content_type=services.FORMATS[name.rsplit(".", 1)[1]])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return run_action(
        request,
        act,
        back=reverse("privacy:dsar_detail", args=[made.pk]),
        form=form,
        invalid=_("Pilih format dan tuliskan alasan membuka."),
    )


# --------------------------------------------------------------------------- corrections


def _correction_page(request, customer, form=None) -> dict:
    return {
        "customer": customer,
        "form": form or CorrectionForm(),
        "corrections": selectors.corrections_of(actor=request.user, customer=customer),
    }


@requires(PRIVACY_CORRECTION_REQUEST)
def correction_new(request, customer_id):
    """Record a customer's correction request (GET: the form and the customer's requests)."""
    customer = customer_for(actor=request.user, customer_id=customer_id)
    form = CorrectionForm(request.POST or None)

    def submit(data):
        services.correction_request(
            actor=request.user,
            customer=customer,
            field=data["field"],
            new_value=data["new_value"],
            reason=data["reason"],
        )
        return Done(
            reverse("privacy:correction_new", args=[customer.pk]),
            _("Permintaan koreksi dicatat dan menunggu tinjauan orang kedua."),
        )

    return submit_form(
        request,
        form,
        submit,
        template="privacy/correction_new.html",
        context=lambda: _correction_page(request, customer, form),
    )


def _correction_row(actor, correction: CorrectionRequest, by_status) -> dict:
    moves = {
        m.to_status
        for m in available_transitions(actor, correction, by_status=by_status, guarded=True)
    }
    return {
        "c": correction,
        "customer": mask_name(correction.customer.full_name),
        "can_apply": CorrectionStatus.APPLIED in moves,
        "can_reject": CorrectionStatus.REJECTED in moves,
    }


@requires(PRIVACY_CORRECTION_REVIEW)
def correction_list(request):
    actor = request.user
    by_status = moves_by_status(actor, CorrectionRequest)
    rows = [
        _correction_row(actor, c, by_status) for c in selectors.corrections_waiting(actor=actor)
    ]
    return render(request, "privacy/correction_list.html", {"rows": rows})


@requires(PRIVACY_CORRECTION_REVIEW)
@require_POST
def correction_decide(request, correction_id):
    correction = selectors.correction_get(actor=request.user, correction_id=correction_id)
    form = DecideForm(request.POST)

    def act():
        note = form.cleaned_data["note"]
        if form.cleaned_data["decision"] == "apply":
            services.correction_apply(actor=request.user, correction=correction, note=note)
            return _("Koreksi diterapkan ke data nasabah.")
        services.correction_reject(actor=request.user, correction=correction, note=note)
        return _("Permintaan koreksi ditolak.")

    return run_action(
        request,
        act,
        back=reverse("privacy:correction_list"),
        form=form,
        invalid=_("Pilih terapkan atau tolak."),
    )


# --------------------------------------------------------------------------- breaches


def _breach_page(request, form=None) -> dict:
    incidents = selectors.breach_list(actor=request.user)
    manage = authz.has_perm(request.user, PRIVACY_BREACH_MANAGE)
    return {
        "incidents": incidents,
        "form": form or BreachForm(),
        "notify_form": NotifyForm(),
        "can_manage": manage,
        "zone": zone_label(),
        "open_status": BreachStatus.OPEN,
        "notified_status": BreachStatus.NOTIFIED,
    }


@requires(PRIVACY_BREACH_VIEW)
def breach_list(request):
    """Incidents with their 3×24 h deadline in the reader's zone, overdue flagged."""
    return render(request, "privacy/breach_list.html", _breach_page(request))


@requires(PRIVACY_BREACH_MANAGE)
@require_POST
def breach_create(request):
    form = BreachForm(request.POST)

    def submit(data):
        services.breach_record(
            actor=request.user,
            title=data["title"],
            description=data["description"],
            data_categories=data["data_categories"],
            subjects_affected=data["subjects_affected"],
            discovered_at=data["discovered_at"],
        )
        return Done(
            reverse("privacy:breach_list"), _("Insiden dicatat; tenggat 3×24 jam berjalan.")
        )

    return submit_form(
        request,
        form,
        submit,
        template="privacy/breach_list.html",
        context=lambda: _breach_page(request, form),
    )


@requires(PRIVACY_BREACH_MANAGE)
@require_POST
def breach_notify(request, incident_id):
    incident = selectors.breach_get(actor=request.user, incident_id=incident_id)
    form = NotifyForm(request.POST)

    def act():
        services.breach_notify(
            actor=request.user, incident=incident, note=form.cleaned_data["note"]
        )
        return _("Pemberitahuan dicatat.")

    return run_action(
        request,
        act,
        back=reverse("privacy:breach_list"),
        form=form,
        invalid=_("Tuliskan kepada siapa dan kapan pemberitahuan dikirim."),
    )


@requires(PRIVACY_BREACH_MANAGE)
@require_POST
def breach_close(request, incident_id):
    incident = selectors.breach_get(actor=request.user, incident_id=incident_id)

    def act():
        services.breach_close(actor=request.user, incident=incident)
        return _("Insiden ditutup.")

    return run_action(request, act, back=reverse("privacy:breach_list"))
