from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.breakglass import selectors, services
from amanah.breakglass.forms import DecideForm, RequestForm, ReviewForm
from amanah.breakglass.models import BreakGlassGrant, GrantStatus
from amanah.breakglass.policies import BREAKGLASS_DECIDE, BREAKGLASS_REQUEST, BREAKGLASS_VIEW
from amanah.core.masking import mask_name
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.iam import authz
from amanah.workflow.contract import available_transitions, moves_by_status


def _row(actor, grant, by_status) -> dict:
    # The workflow engine says which moves this actor may make on this grant (permission,
    # status, and the four-eyes guard): the page offers exactly those.
    moves = {
        m.to_status for m in available_transitions(actor, grant, by_status=by_status, guarded=True)
    }
    return {
        "grant": grant,
        "customer": mask_name(grant.customer.full_name),  # enough to tell rows apart
        "open": grant.is_open(),
        "overdue": grant.review_overdue(),
        "can_approve": GrantStatus.APPROVED in moves,
        "can_reject": GrantStatus.REJECTED in moves,
        "reviewable": GrantStatus.REVIEWED in moves,
    }


def _page(request, form=None) -> dict:
    actor = request.user
    grants = selectors.grant_list(actor=actor)
    by_status = moves_by_status(actor, BreakGlassGrant)  # the tables asked once per page
    return {
        "grants": [_row(actor, g, by_status) for g in grants],
        "form": form or RequestForm(),
        "can_request": authz.has_perm(actor, BREAKGLASS_REQUEST),
    }


@requires(BREAKGLASS_VIEW)
def grant_list(request):
    """Every grant in scope with its status and review state; the request form."""
    return render(request, "breakglass/list.html", _page(request))


@requires(BREAKGLASS_REQUEST)
@require_POST
def request_access(request):
    form = RequestForm(request.POST)

    def submit(data):
        customer = selectors.customer_by_cif(actor=request.user, cif=data["cif"])
        grant = services.breakglass_request(
            actor=request.user,
            customer=customer,
            reason=data["reason"],
            emergency=data["emergency"],
        )
        if grant.emergency:
            return Done(
                reverse("customer360:workspace", kwargs={"customer_id": customer.pk}),
                _("Akses darurat dibuka dan akan ditinjau dalam 24 jam."),
            )
        return Done(reverse("breakglass:list"), _("Permintaan akses dikirim untuk disetujui."))

    return submit_form(
        request,
        form,
        submit,
        template="breakglass/list.html",
        context=lambda: _page(request, form),
    )


@requires(BREAKGLASS_DECIDE)
@require_POST
def decide(request, grant_id):
    grant = selectors.grant_get(actor=request.user, grant_id=grant_id)
    form = DecideForm(request.POST)

    def act():
        note = form.cleaned_data["note"]
        if form.cleaned_data["decision"] == "approve":
            services.breakglass_approve(actor=request.user, grant=grant, note=note)
            return _("Akses disetujui.")
        services.breakglass_reject(actor=request.user, grant=grant, note=note)
        return _("Permintaan akses ditolak.")

    return run_action(
        request,
        act,
        back=reverse("breakglass:list"),
        form=form,
        invalid=_("Pilih setujui atau tolak."),
    )


@requires(BREAKGLASS_DECIDE)
@require_POST
def review(request, grant_id):
    grant = selectors.grant_get(actor=request.user, grant_id=grant_id)
    form = ReviewForm(request.POST)

    def act():
        services.breakglass_review(actor=request.user, grant=grant, note=form.cleaned_data["note"])
        return _("Akses darurat ditinjau.")

    return run_action(request, act, back=reverse("breakglass:list"), form=form)
