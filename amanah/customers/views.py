"""Customer master data pages: register and edit a customer (through the services, with the
duplicate check's answer shown before a new customer is written), and the data quality pages:
possible duplicates and the merge requests that resolve them."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.customers import merge, selectors, services
from amanah.customers.forms import CustomerForm, initial_of
from amanah.customers.models import Customer, DuplicateFlag, Gender, MergeRequest, MergeStatus
from amanah.customers.policies import (
    CUSTOMER_MANAGE,
    CUSTOMER_VIEW,
    DUPLICATES_VIEW,
    MERGE_APPROVE,
    MERGE_PROPOSE,
)
from amanah.iam import authz
from amanah.workflow.contract import moves_by_status

FORM_TEMPLATE = "customers/customer_form.html"


@requires(CUSTOMER_MANAGE)
def create(request):
    """Register a customer. The first submit runs the duplicate check: possible duplicates are
    listed (masked outside the actor's scope) and the customer is written only once the person
    confirms; with none, it is written at once (CREATE_CUSTOMER, customers.customer_created)."""
    branches = selectors.branches_for_customers(request.user)
    form = CustomerForm(
        request.POST or None,
        branches=branches,
        creating=True,
        initial={"gender": Gender.UNKNOWN, "home_branch": str(branches[0].pk) if branches else ""},
    )

    def submit(cleaned):
        data = form.as_input()
        if not cleaned["confirm"]:
            candidates = services.duplicate_check(actor=request.user, data=data)
            if candidates:
                return render(
                    request,
                    FORM_TEMPLATE,
                    {"form": form, "creating": True, "candidates": candidates},
                )
        customer = services.customer_create(
            actor=request.user, data=data, allow_duplicates=cleaned["confirm"]
        )
        done = _("Nasabah %(name)s didaftarkan.") % {"name": customer.full_name}
        if authz.has_perm(request.user, CUSTOMER_VIEW):
            return Done(reverse("customer360:workspace", args=[customer.pk]), done)
        return Done(reverse("customers:create"), done)

    return submit_form(request, form, submit, template=FORM_TEMPLATE, context={"creating": True})


@requires(CUSTOMER_MANAGE)
def edit(request, customer_id):
    """Change a customer's master data (identifiers are managed separately); out of scope and
    missing are both 404. UPDATE_CUSTOMER names the changed fields."""
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    current = services.customer_input_of(customer)
    branches = selectors.branches_for_customers(request.user)
    if customer.home_branch not in branches:
        branches.append(customer.home_branch)  # kept; moving it needs a branch in scope
    form = CustomerForm(
        request.POST or None,
        branches=branches,
        creating=False,
        current_segment=customer.segment_code,
        initial=initial_of(current),
    )

    def submit(_cleaned):
        services.customer_update(actor=request.user, customer=customer, data=form.as_input())
        return Done(
            reverse("customer360:workspace", args=[customer.pk]), _("Data nasabah disimpan.")
        )

    return submit_form(
        request,
        form,
        submit,
        template=FORM_TEMPLATE,
        context={"creating": False, "customer": customer},
    )


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
    flag = get_object_or_404(_visible_flags(request.user), pk=flag_id)

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
    flag = get_object_or_404(_visible_flags(request.user), pk=flag_id)

    def dismiss_flag():
        merge.duplicate_dismiss(actor=request.user, flag=flag, note=request.POST.get("reason", ""))
        return ""  # the flag leaving the list says it all

    return run_action(request, dismiss_flag, back=reverse("customers:duplicates"))


@requires(MERGE_APPROVE)
@require_POST
def decide(request, request_id):
    visible = Customer.objects.visible_to(request.user)
    merge_request = get_object_or_404(
        MergeRequest.objects.filter(Q(survivor__in=visible) & Q(absorbed__in=visible)),
        pk=request_id,
    )
    note = request.POST.get("note", "")

    def decide_merge():
        if request.POST.get("decision") == "approve":
            merge.merge_approve(actor=request.user, request=merge_request, note=note)
            return _("Nasabah digabung; seluruh data dipindahkan.")
        merge.merge_reject(actor=request.user, request=merge_request, note=note)
        return _("Usulan ditolak.")

    return run_action(request, decide_merge, back=reverse("customers:duplicates"))
