"""Data quality pages: possible duplicates and the merge requests that resolve them."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.views import requires
from amanah.customers import merge
from amanah.customers.models import Customer, DuplicateFlag, MergeRequest, MergeStatus
from amanah.customers.policies import DUPLICATES_VIEW, MERGE_APPROVE, MERGE_PROPOSE
from amanah.iam import authz
from amanah.workflow.contract import moves_by_status


def _visible_flags(actor):
    visible = Customer.objects.visible_to(actor)
    return DuplicateFlag.objects.filter(customer_a__in=visible, customer_b__in=visible)


@requires(DUPLICATES_VIEW)
def duplicates(request):
    flags = (
        _visible_flags(request.user)
        .filter(status="OPEN")
        .select_related("customer_a", "customer_b")
    )
    pending = MergeRequest.objects.filter(
        status=MergeStatus.PENDING, survivor__in=Customer.objects.visible_to(request.user)
    ).select_related("survivor", "absorbed", "proposed_by")
    # The engine says whether this actor may decide pending proposals; four eyes hides the
    # buttons on the actor's own proposals (the engine's guard refuses them anyway).
    moves = moves_by_status(request.user, MergeRequest).get(MergeStatus.PENDING, [])
    may_decide = any(m.to_status == MergeStatus.APPROVED for m in moves)
    actor = {"actor": request.user}
    return render(
        request,
        "customers/duplicates.html",
        {
            "flags": flags.order_by("-detected_at")[:200],
            "pending": pending,
            "can_propose": authz.has_perm(request.user, MERGE_PROPOSE),
            "decidable": {
                m.pk for m in pending if may_decide and merge.decided_by_someone_else(m, actor)
            },
        },
    )


@requires(MERGE_PROPOSE)
@require_POST
def propose(request, flag_id):
    flag = get_object_or_404(_visible_flags(request.user), pk=flag_id)
    survivor_id = request.POST.get("survivor")
    if survivor_id not in (str(flag.customer_a_id), str(flag.customer_b_id)):
        messages.error(request, _("Pilih nasabah yang dipertahankan."))
        return redirect("customers:duplicates")
    survivor, absorbed = (
        (flag.customer_a, flag.customer_b)
        if survivor_id == str(flag.customer_a_id)
        else (flag.customer_b, flag.customer_a)
    )
    try:
        merge.merge_propose(
            actor=request.user,
            survivor=survivor,
            absorbed=absorbed,
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Usulan penggabungan dikirim; supervisor lain harus menyetujui.")
        )
    return redirect("customers:duplicates")


@requires(DUPLICATES_VIEW)
@require_POST
def dismiss(request, flag_id):
    flag = get_object_or_404(_visible_flags(request.user), pk=flag_id)
    try:
        merge.duplicate_dismiss(actor=request.user, flag=flag, note=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("customers:duplicates")


@requires(MERGE_APPROVE)
@require_POST
def decide(request, request_id):
    visible = Customer.objects.visible_to(request.user)
    merge_request = get_object_or_404(
        MergeRequest.objects.filter(Q(survivor__in=visible) & Q(absorbed__in=visible)),
        pk=request_id,
    )
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            merge.merge_approve(actor=request.user, request=merge_request, note=note)
            messages.success(request, _("Nasabah digabung; seluruh data dipindahkan."))
        else:
            merge.merge_reject(actor=request.user, request=merge_request, note=note)
            messages.success(request, _("Usulan ditolak."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("customers:duplicates")
