"""Intake pages: a complaint of one of the actor's customers, or of another branch's
customer (intake at any office), and the receipt (page and PDF)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from amanah.cases import receipts, selectors, services
from amanah.cases.forms import (
    CaseIntakeForm,
    FindForm,
)
from amanah.cases.policies import (
    CASE_CREATE,
    CASE_INTAKE_ANY_BRANCH,
    CASE_VIEW,
)
from amanah.core.masking import mask
from amanah.core.view_helpers import Done, render_fragment, run_action, submit_form
from amanah.core.views import requires
from amanah.customers.contract import customer_for
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz


@requires(CASE_CREATE)
def create(request, customer_id):
    customer = customer_for(actor=request.user, customer_id=customer_id)
    return submit_form(
        request,
        _intake_form(request),
        _intake_submit(request, customer, any_branch=False),
        template="cases/create.html",
        context={"customer": customer},
    )


def _intake_form(request) -> CaseIntakeForm:
    form = CaseIntakeForm(request.POST or None, request.FILES or None)
    if not authz.has_perm(request.user, DOCUMENT_UPLOAD):
        del form.fields["attachment"]  # the attachment becomes a document of the case
    return form


def _intake_submit(request, customer, *, any_branch: bool):
    def submit(data):
        case = services.case_create(
            actor=request.user,
            data=services.CaseInput(
                customer=customer,
                channel=data["channel"],
                category_code=data["category"],
                priority=data["priority"],
                description=data["description"],
                product=data["product"],
                contact_preference=data["contact_preference"],
                attachment=data.get("attachment"),
            ),
            any_branch=any_branch,
        )
        return Done(reverse("cases:receipt", kwargs={"case_id": case.pk}))

    return submit


@requires(CASE_INTAKE_ANY_BRANCH)
def intake_find(request):
    """Intake at any office: find the customer of another branch by an exact CIF, NIK, account
    number or phone (shown masked), then register the complaint here. Bad input is a 400."""
    form = FindForm(request.GET or None)
    if not form.is_bound:
        return render(request, "cases/intake_find.html", {"form": form, "hits": None})
    return render_fragment(
        request,
        lambda: {"hits": selectors.intake_lookup(actor=request.user, term=form.cleaned_data["q"])},
        template="cases/intake_find.html",
        form=form,
        context={"form": form, "hits": None},
    )


@requires(CASE_INTAKE_ANY_BRANCH)
def intake_create(request, customer_id):
    """The intake form for a customer of another branch: only masked facts are shown; the case
    belongs to this (receiving) branch and is seen by the customer's home branch."""
    customer = selectors.intake_customer(actor=request.user, customer_id=customer_id)
    return submit_form(
        request,
        _intake_form(request),
        _intake_submit(request, customer, any_branch=True),
        template="cases/intake_create.html",
        context={
            "masked_name": mask("name", customer.full_name),
            "home_branch": customer.home_branch,
        },
    )


@requires(CASE_VIEW)
def receipt(request, case_id):
    case = selectors.case_for(actor=request.user, case_id=case_id)
    return render(request, "cases/receipt.html", {"case": case, "r": receipts.receipt_data(case)})


@requires(CASE_VIEW)
def receipt_pdf(request, case_id):
    """The issued receipt (issued now if its job has not run yet): a download of the case's
    RECEIPT document, audited with its version; a stored file that fails its checks is
    refused with the reason on the case page."""
    case = selectors.case_for(actor=request.user, case_id=case_id)

    def act():
        _version, data = receipts.receipt_download(actor=request.user, case=case)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{receipts.receipt_filename(case)}"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response

    return run_action(request, act, back=reverse("cases:detail", args=[case.pk]))
