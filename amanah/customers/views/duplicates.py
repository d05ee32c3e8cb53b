"""The data quality pages: possible duplicates and the merge requests that resolve them."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.customers import merge, selectors
from amanah.customers.models import MergeRequest, MergeStatus
from amanah.customers.policies import DUPLICATES_VIEW, MERGE_APPROVE, MERGE_PROPOSE
from amanah.iam import authz
from amanah.workflow.contract import moves_by_status


@requires(DUPLICATES_VIEW)
def duplicates(request):
    pending = selectors.merge_requests_pending(request.user)
    # The engine says whether this actor may decide pending proposals; four eyes hides the
    # buttons on the actor's own proposals (the engine's guard refuses them anyway).
    moves = moves_by_status(request.user, MergeRequest).get(MergeStatus.PENDING, [])
    may_decide = any(m.to_status == MergeStatus.APPROVED for m in moves)
    actor = {"actor": request.user}
    return render(
        request,
        "customers/duplicates.html",
        {
            "flags": selectors.duplicate_flags_open(request.user).order_by("-detected_at")[:200],
            "pending": pending,
            "can_propose": authz.has_perm(request.user, MERGE_PROPOSE),
            "decidable": {
                m.pk for m in pending if may_decide and merge.decided_by_someone_else(m, actor)
            },
        },
    )


def _survivor_first(flag, survivor_id):
    """The flag's two customers as (survivor, absorbed), by the survivor the user picked."""
    if survivor_id == str(flag.customer_a_id):
        return flag.customer_a, flag.customer_b
    if survivor_id == str(flag.customer_b_id):
        return flag.customer_b, flag.customer_a
    raise ServiceError(
        "survivor_required", _("Pilih nasabah yang dipertahankan."), field="survivor"
    )


@requires(MERGE_PROPOSE)
@require_POST
def propose(request, flag_id):
    flag = selectors.duplicate_flag_get(actor=request.user, flag_id=flag_id)

    def propose_merge():
        survivor, absorbed = _survivor_first(flag, request.POST.get("survivor"))
        merge.merge_propose(
            actor=request.user,
            survivor=survivor,
            absorbed=absorbed,
            reason=request.POST.get("reason", ""),
        )
        return _("Usulan penggabungan dikirim; supervisor lain harus menyetujui.")

    return run_action(request, propose_merge, back=reverse("customers:duplicates"))


@requires(DUPLICATES_VIEW)
@require_POST
def dismiss(request, flag_id):
    flag = selectors.duplicate_flag_get(actor=request.user, flag_id=flag_id)

    def dismiss_flag():
        merge.duplicate_dismiss(actor=request.user, flag=flag, note=request.POST.get("reason", ""))
        return ""  # the flag leaving the list says it all

    return run_action(request, dismiss_flag, back=reverse("customers:duplicates"))


@requires(MERGE_APPROVE)
@require_POST
def decide(request, request_id):
    merge_request = selectors.merge_request_get(actor=request.user, request_id=request_id)
    note = request.POST.get("note", "")

    def decide_merge():
        if request.POST.get("decision") == "approve":
            merge.merge_approve(actor=request.user, request=merge_request, note=note)
            return _("Nasabah digabung; seluruh data dipindahkan.")
        merge.merge_reject(actor=request.user, request=merge_request, note=note)
        return _("Usulan ditolak.")

    return run_action(request, decide_merge, back=reverse("customers:duplicates"))
