from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.forms import add_service_error
from amanah.core.views import requires
from amanah.iam import authz
from amanah.marketing import selectors, sending, services
from amanah.marketing.forms import CampaignForm, SegmentForm
from amanah.marketing.models import Campaign, CampaignStatus, Segment
from amanah.marketing.policies import (
    CAMPAIGN_APPROVE,
    CAMPAIGN_MANAGE,
    CAMPAIGN_VIEW,
    SEGMENT_MANAGE,
)
from amanah.workflow.contract import available_transitions


@requires(SEGMENT_MANAGE)
def segment_list(request):
    segments = Segment.objects.order_by("name").prefetch_related("versions")
    return render(request, "marketing/segments.html", {"segments": segments})


@requires(SEGMENT_MANAGE)
def segment_edit(request, segment_id=None):
    segment = get_object_or_404(Segment, pk=segment_id) if segment_id else None
    initial = SegmentForm.initial_from(segment) if segment else None
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if segment:
                services.segment_update(actor=request.user, segment=segment, rules=form.rules())
            else:
                segment = services.segment_create(
                    actor=request.user, name=form.cleaned_data["name"], rules=form.rules()
                )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Segmen disimpan (versi %d).") % segment.current.version)
            return redirect("marketing:segment_edit", segment_id=segment.pk)
    return render(request, "marketing/segment_form.html", {"form": form, "segment": segment})


@requires(SEGMENT_MANAGE)
@require_POST
def segment_preview(request):
    form = SegmentForm(request.POST)
    counts, error = None, None
    if form.is_valid():
        try:
            counts = services.segment_preview(actor=request.user, rules=form.rules())
        except ServiceError as exc:
            error = exc.message
    else:
        error = _("Periksa isian aturan.")
    return render(request, "marketing/_preview.html", {"counts": counts, "error": error})


@requires(CAMPAIGN_VIEW)
def campaign_list(request):
    return render(
        request,
        "marketing/campaigns.html",
        {
            "campaigns": Campaign.objects.select_related("segment", "created_by"),
            "can_manage": authz.has_perm(request.user, CAMPAIGN_MANAGE),
        },
    )


@requires(CAMPAIGN_MANAGE)
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return redirect("marketing:campaign_detail", campaign_id=campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form})


@requires(CAMPAIGN_VIEW)
def campaign_detail(request, campaign_id):
    campaign = get_object_or_404(
        Campaign.objects.select_related("segment", "segment_version", "created_by", "approved_by"),
        pk=campaign_id,
    )
    actor = request.user
    # The engine says which moves this actor may make; four eyes hides the decision from the
    # author (the engine's guard refuses it anyway).
    moves = {m.to_status for m in available_transitions(actor, campaign)}
    return render(
        request,
        "marketing/campaign_detail.html",
        {
            "campaign": campaign,
            "report": selectors.campaign_report(campaign),
            "can_submit": CampaignStatus.SUBMITTED in moves,
            "can_decide": CampaignStatus.APPROVED in moves
            and not services.is_campaign_author(campaign, actor),
            "can_execute": CampaignStatus.RUNNING in moves,
            "sending_started": campaign.status in (CampaignStatus.RUNNING, CampaignStatus.DONE),
            "progress": sending.campaign_progress(campaign),
        },
    )


@requires(CAMPAIGN_VIEW)
def campaign_progress(request, campaign_id):
    """The progress box alone, polled by htmx while the send runs."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(
        request,
        "marketing/_progress.html",
        {"campaign": campaign, "progress": sending.campaign_progress(campaign)},
    )


def _confirm_send(request, campaign: Campaign):
    """Ask before sending, on the server: how many customers will be contacted, and how."""
    return render(
        request,
        "marketing/campaign_confirm.html",
        {"campaign": campaign, "report": selectors.campaign_report(campaign)},
    )


# Messages are lazy: translated when shown, in the user's language (not at import time).
ACTIONS = {
    "submit": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: services.campaign_submit(actor=a, campaign=c),
        gettext_lazy("Kampanye diajukan."),
    ),
    "approve": (
        CAMPAIGN_APPROVE,
        lambda a, c, post: services.campaign_approve(
            actor=a, campaign=c, note=post.get("note", "")
        ),
        gettext_lazy("Kampanye disetujui."),
    ),
    "reject": (
        CAMPAIGN_APPROVE,
        lambda a, c, post: services.campaign_reject(actor=a, campaign=c, note=post.get("note", "")),
        gettext_lazy("Kampanye ditolak."),
    ),
    "evaluate": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: services.campaign_evaluate(actor=a, campaign=c),
        gettext_lazy("Cek kelayakan selesai."),
    ),
    "execute": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: sending.campaign_execute(
            actor=a, campaign=c, confirmed=post.get("confirm") == "yes"
        ),
        gettext_lazy("Pengiriman kampanye diantrekan; kemajuan tampil di halaman ini."),
    ),
}


@requires(CAMPAIGN_VIEW)
@require_POST
def campaign_action(request, campaign_id, action):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if action not in ACTIONS:
        messages.error(request, _("Aksi tidak dikenal."))
        return redirect("marketing:campaign_detail", campaign_id=campaign.pk)
    permission, run, done = ACTIONS[action]
    authz.require(request.user, permission)
    if action == "execute" and request.POST.get("confirm") != "yes":
        return _confirm_send(request, campaign)
    try:
        run(request.user, campaign, request.POST)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("marketing:campaign_detail", campaign_id=campaign.pk)
