"""Register and edit a customer (through the services, with the duplicate check's answer
shown before a new customer is written). The edit page shows phone and e-mail masked, as the
360 does; a field is revealed one at a time with a reason (REVEAL_FIELD, ``field_reveal``),
in place with htmx or, without JS, on the page again with what was typed kept."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.masking import mask
from amanah.core.view_helpers import Done, render_fragment, submit_form
from amanah.core.views import requires
from amanah.customers import selectors, services
from amanah.customers.forms import CustomerForm, initial_of
from amanah.customers.models import Gender
from amanah.customers.policies import CUSTOMER_MANAGE, CUSTOMER_VIEW
from amanah.customers.services.inputs import MASKED_INPUTS
from amanah.iam import authz
from amanah.iam.contract import ReasonForm, field_reveal
from amanah.iam.policies import PII_REVEAL

FORM_TEMPLATE = "customers/customer_form.html"
REVEALED_TEMPLATE = "customers/_revealed_input.html"


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


def _edit_form(request, customer, data=None) -> CustomerForm:
    branches = selectors.branches_for_customers(request.user)
    if customer.home_branch not in branches:
        branches.append(customer.home_branch)  # kept; moving it needs a branch in scope
    return CustomerForm(
        data,
        branches=branches,
        creating=False,
        current_segment=customer.segment_code,
        initial=initial_of(services.customer_input_of(customer)),
    )


def _edit_context(request, customer, **more) -> dict:
    """The edit page's context: which masked fields hold a value the actor may reveal, each
    with its own reason box (prefixed by the field's name)."""
    revealable = []
    if authz.has_perm(request.user, PII_REVEAL):
        revealable = [
            n for n, (column, _kind) in MASKED_INPUTS.items() if getattr(customer, column)
        ]
    reasons = more.pop("reasons", {})
    return {
        "creating": False,
        "customer": customer,
        **{f"reveal_{n}": reasons.get(n) or ReasonForm(prefix=n) for n in revealable},
        **more,
    }


@requires(CUSTOMER_MANAGE)
def edit(request, customer_id):
    """Change a customer's master data (identifiers are managed on their own page); out of
    scope and missing are both 404. UPDATE_CUSTOMER names the changed fields."""
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = _edit_form(request, customer, request.POST or None)

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
        context=lambda: _edit_context(request, customer),
    )


@requires(PII_REVEAL)
@require_POST
def edit_reveal(request, customer_id, field):
    """One masked field of the edit form in clear, for a stated reason (REVEAL_FIELD, rate
    limited): htmx swaps the field's input in place; a plain post answers the edit page with
    the field revealed and everything else as typed. Only for those who may edit."""
    if field not in MASKED_INPUTS:
        raise Http404
    column, kind = MASKED_INPUTS[field]
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    authz.require(request.user, CUSTOMER_MANAGE, customer)
    reason = ReasonForm(request.POST, prefix=field)

    def revealed() -> str:
        text = reason.cleaned_data["reason"]
        return field_reveal(actor=request.user, obj=customer, field=column, reason=text)

    if request.headers.get("HX-Request"):
        return render_fragment(
            request,
            lambda: {"value": revealed()},
            template=REVEALED_TEMPLATE,
            form=reason,
            invalid=_("Tuliskan alasan (minimal 10 karakter)."),
            context={"name": field, "masked": mask(kind, getattr(customer, column))},
        )

    def submit(_cleaned):
        data = request.POST.copy()
        data[field] = revealed()
        form = _edit_form(request, customer, data)
        return render(request, FORM_TEMPLATE, {"form": form, **_edit_context(request, customer)})

    return submit_form(
        request,
        reason,
        submit,
        template=FORM_TEMPLATE,
        context=lambda: {
            "form": _edit_form(request, customer, request.POST),
            **_edit_context(request, customer, reasons={field: reason}),
        },
    )
