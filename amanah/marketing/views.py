"""Marketing pages: the segment builder with its live preview, campaigns and their
four-eyes lifecycle (submit, approve or reject, evaluate, send with a confirmation)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import (
    Done,
    refused_action,
    render_fragment,
    run_action,
    submit_form,
)
from amanah.core.views import requires
from amanah.iam import authz
from amanah.marketing import ab_services, abtest, selectors, sending, services
from amanah.marketing.forms import AbTestForm, CampaignForm, MembersFilterForm, SegmentForm
from amanah.marketing.models import Campaign, CampaignStatus, Segment
from amanah.marketing.policies import (
    CAMPAIGN_APPROVE,
    CAMPAIGN_MANAGE,
    CAMPAIGN_MEMBERS_VIEW,
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

    def submit(data):
        if segment:
            services.segment_update(actor=request.user, segment=segment, rules=form.rules())
            saved = segment
        else:
            saved = services.segment_create(
                actor=request.user, name=data["name"], rules=form.rules()
            )
        return Done(
            reverse("marketing:segment_edit", args=[saved.pk]),
            _("Segmen disimpan (versi %d).") % saved.current.version,
        )

    return submit_form(
        request, form, submit, template="marketing/segment_form.html", context={"segment": segment}
    )


@requires(SEGMENT_MANAGE)
@require_POST
def segment_preview(request):
    """The live counts under the builder (htmx); a refusal shows its reason in their place."""
    form = SegmentForm(request.POST)
    return render_fragment(
        request,
        lambda: {"counts": services.segment_preview(actor=request.user, rules=form.rules())},
        template="marketing/_preview.html",
        form=form,
        invalid=_("Periksa isian aturan."),
    )


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
    def submit(data):
        campaign = services.campaign_create(actor=request.user, **data)
        return Done(reverse("marketing:campaign_detail", args=[campaign.pk]))

    return submit_form(
        request,
        CampaignForm(request.POST or None),
        submit,
        template="marketing/campaign_form.html",
        context={},
    )


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
            "audience": selectors.audience_size(campaign),
            "can_list_members": campaign.evaluated_at is not None
            and authz.has_perm(actor, CAMPAIGN_MEMBERS_VIEW),
            "can_submit": CampaignStatus.SUBMITTED in moves,
            "can_decide": CampaignStatus.APPROVED in moves
            and not services.is_campaign_author(campaign, actor),
            "can_execute": CampaignStatus.RUNNING in moves,
            "sending_started": campaign.status in (CampaignStatus.RUNNING, CampaignStatus.DONE),
            "progress": sending.campaign_progress(campaign),
            "ab": selectors.abtest_summary(campaign),
            "can_run_ab": authz.has_perm(actor, CAMPAIGN_MANAGE),
            "can_edit_ab": campaign.status in (CampaignStatus.DRAFT, CampaignStatus.REJECTED)
            and authz.has_perm(actor, CAMPAIGN_MANAGE),
        },
    )


@requires(CAMPAIGN_MANAGE)
def campaign_abtest(request, campaign_id):
    """Set up the campaign's A/B test (a draft or rejected campaign): variants, split, metric,
    duration, and the figures the sample size is planned from."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    test = ab_services.abtest_of(campaign)
    initial = AbTestForm.initial_from(test, campaign.variants.all()) if test else None
    form = AbTestForm(request.POST or None, initial=initial)

    def submit(data):
        saved = ab_services.campaign_abtest_set(
            actor=request.user,
            campaign=campaign,
            metric=data["metric"],
            test_percent=data["test_percent"],
            min_duration_hours=data["min_duration_hours"],
            baseline_percent=data["baseline_rate"],
            mde_percent=data["min_detectable_effect"],
            rollout=data["rollout"],
            variants=form.variants(),
        )
        return Done(
            reverse("marketing:campaign_detail", args=[campaign.pk]),
            _("Uji A/B disimpan: %(n)d nasabah per varian direncanakan.")
            % {"n": saved.planned_per_variant},
        )

    return submit_form(
        request,
        form,
        submit,
        template="marketing/campaign_abtest.html",
        context={"campaign": campaign},
    )


@requires(CAMPAIGN_MEMBERS_VIEW)
def campaign_members(request, campaign_id):
    """The segment's members with the hard gate's verdict and reason, masked, filtered and
    paginated by GET; a bad filter is a 400 with the reason on the page."""
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=campaign_id)
    form = MembersFilterForm(request.GET)
    query = request.GET.copy()
    query.pop("page", None)

    def members():
        d = form.cleaned_data
        return selectors.campaign_members(
            actor=request.user,
            campaign=campaign,
            verdict=d["verdict"],
            branch=d["branch"],
            q=d["q"],
            page=d["page"] or 1,
        )

    return render_fragment(
        request,
        members,
        template="marketing/campaign_members.html",
        form=form,
        context={"campaign": campaign, "form": form, "query": query.urlencode()},
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
        {
            "campaign": campaign,
            "report": selectors.campaign_report(campaign),
            "ab": selectors.abtest_summary(campaign),
        },
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
    "ab-decide": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: ab_services.campaign_abtest_decide(actor=a, campaign=c),
        lambda decision: _decision_message(decision),
    ),
    "ab-rollout": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: ab_services.campaign_abtest_rollout(
            actor=a, campaign=c, variant=post.get("variant", "")
        ),
        gettext_lazy("Varian dikirim ke sisa audiens."),
    ),
    "ab-remove": (
        CAMPAIGN_MANAGE,
        lambda a, c, post: ab_services.campaign_abtest_remove(actor=a, campaign=c),
        gettext_lazy("Uji A/B dihapus dari kampanye."),
    ),
}


def _decision_message(decision: abtest.Decision) -> str:
    if decision.state == abtest.State.WINNER:
        return _("Uji A/B diputuskan: varian %(key)s menang.") % {"key": decision.winner}
    if decision.state == abtest.State.NOT_SIGNIFICANT:
        return _("Uji A/B diputuskan: belum signifikan, pilih varian untuk sisa audiens.")
    return _("Uji A/B belum selesai: durasi minimal atau ukuran sampel belum tercapai.")


@requires(CAMPAIGN_VIEW)
@require_POST
def campaign_action(request, campaign_id, action):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    back = reverse("marketing:campaign_detail", args=[campaign.pk])
    if action not in ACTIONS:
        return refused_action(
            request, ServiceError("action_unknown", _("Aksi tidak dikenal.")), back=back
        )
    permission, run, done = ACTIONS[action]
    authz.require(request.user, permission)
    if action == "execute" and request.POST.get("confirm") != "yes":
        return _confirm_send(request, campaign)

    def act():
        result = run(request.user, campaign, request.POST)
        return done(result) if callable(done) else done

    return run_action(request, act, back=back)
