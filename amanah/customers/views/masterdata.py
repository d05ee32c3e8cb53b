"""A customer's identities and relations (one page): CIF, NIK and account numbers — added,
corrected, verified, an account removed, one revealed with a reason — and the relations
both ways, added by the other customer's CIF or removed. Each button is its own route with
its own permission; the page shows only the forms the actor may use."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import NotFound
from amanah.core.view_helpers import render_fragment, run_action
from amanah.core.views import requires
from amanah.customers import selectors, services
from amanah.customers.forms import (
    IdentifierAddForm,
    IdentifierCorrectForm,
    IdentifierVerifyForm,
    ReasonOnlyForm,
    RelationAddForm,
)
from amanah.customers.models import CustomerIdentifier
from amanah.customers.policies import (
    CUSTOMER_MANAGE,
    CUSTOMER_VIEW,
    IDENTIFIER_MANAGE,
    IDENTIFIER_VERIFY,
)
from amanah.iam import authz
from amanah.iam.contract import ReasonForm, field_reveal
from amanah.iam.policies import PII_REVEAL

PAGE = "customers/master_data.html"


def _back(customer_id) -> str:
    return reverse("customers:master_data", args=[customer_id])


@requires(CUSTOMER_VIEW)
def master_data(request, customer_id):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    actor = request.user
    may = {
        "identifiers": authz.has_perm(actor, IDENTIFIER_MANAGE),
        "verify": authz.has_perm(actor, IDENTIFIER_VERIFY),
        "relations": authz.has_perm(actor, CUSTOMER_MANAGE),
        "reveal": authz.has_perm(actor, PII_REVEAL),
    }
    return render(
        request,
        PAGE,
        {
            "customer": customer,
            "identifiers": selectors.identifiers_of(actor=actor, customer=customer),
            "relations": selectors.relations_of(actor=actor, customer=customer),
            "may": may,
            # rendered once per row: no ids (each input sits inside its label)
            "add_form": IdentifierAddForm(auto_id=False),
            "correct_form": IdentifierCorrectForm(auto_id=False),
            "verify_form": IdentifierVerifyForm(auto_id=False),
            "reason_form": ReasonOnlyForm(auto_id=False),
            "relation_form": RelationAddForm(auto_id=False),
            "reveal_form": ReasonForm(auto_id=False),
        },
    )


def _customer(request, customer_id):
    return selectors.customer_for(actor=request.user, customer_id=customer_id)


@requires(IDENTIFIER_MANAGE)
@require_POST
def identifier_add(request, customer_id):
    customer, form = _customer(request, customer_id), IdentifierAddForm(request.POST)

    def add():
        services.identifier_add(
            actor=request.user,
            customer=customer,
            id_type=form.cleaned_data["id_type"],
            value=form.cleaned_data["value"],
        )
        return _("Identitas ditambahkan; menunggu verifikasi petugas lain.")

    return run_action(request, add, back=_back(customer.pk), form=form)


@requires(IDENTIFIER_MANAGE)
@require_POST
def identifier_correct(request, customer_id, identifier_id):
    customer, form = _customer(request, customer_id), IdentifierCorrectForm(request.POST)

    def correct():
        services.identifier_correct(
            actor=request.user,
            customer=customer,
            identifier_id=identifier_id,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
        return _("Identitas dikoreksi; verifikasinya diulang oleh petugas lain.")

    return run_action(request, correct, back=_back(customer.pk), form=form)


@requires(IDENTIFIER_VERIFY)
@require_POST
def identifier_verify(request, customer_id, identifier_id):
    customer, form = _customer(request, customer_id), IdentifierVerifyForm(request.POST)

    def verify():
        services.identifier_verify(
            actor=request.user,
            customer=customer,
            identifier_id=identifier_id,
            method=form.cleaned_data["method"],
        )
        return _("Identitas terverifikasi.")

    return run_action(request, verify, back=_back(customer.pk), form=form)


@requires(IDENTIFIER_MANAGE)
@require_POST
def identifier_remove(request, customer_id, identifier_id):
    customer, form = _customer(request, customer_id), ReasonOnlyForm(request.POST)

    def remove():
        services.identifier_remove(
            actor=request.user,
            customer=customer,
            identifier_id=identifier_id,
            reason=form.cleaned_data["reason"],
        )
        return _("Nomor rekening dihapus dari nasabah ini.")

    return run_action(request, remove, back=_back(customer.pk), form=form)


@requires(PII_REVEAL)
@require_POST
def identifier_reveal(request, customer_id, identifier_id):
    """One identifier in clear, for a stated reason (REVEAL_FIELD), swapped in by htmx."""
    form = ReasonForm(request.POST)

    def open_value():
        customer = _customer(request, customer_id)
        identifier = (
            CustomerIdentifier.objects.visible_to(request.user)
            .filter(customer=customer, pk=identifier_id)
            .first()
        )
        if identifier is None:
            raise NotFound()
        value = field_reveal(
            actor=request.user,
            obj=identifier,
            field="id_value",
            reason=form.cleaned_data["reason"],
        )
        return {"value": value}

    return render_fragment(
        request,
        open_value,
        template="iam/reveal.html",
        form=form,
        invalid=_("Tuliskan alasan (minimal 10 karakter)."),
    )


@requires(CUSTOMER_MANAGE)
@require_POST
def relation_add(request, customer_id):
    customer, form = _customer(request, customer_id), RelationAddForm(request.POST)

    def add():
        other = selectors.customer_by_cif_for_change(
            actor=request.user,
            permission=CUSTOMER_MANAGE,
            cif=form.cleaned_data["other_cif"],
            field="other_cif",
        )
        services.relation_add(
            actor=request.user,
            customer=customer,
            other=other,
            relation_type=form.cleaned_data["relation_type"],
            label=form.cleaned_data["label"],
        )
        return _("Relasi ditambahkan.")

    return run_action(request, add, back=_back(customer.pk), form=form)


@requires(CUSTOMER_MANAGE)
@require_POST
def relation_remove(request, customer_id, relation_id):
    customer, form = _customer(request, customer_id), ReasonOnlyForm(request.POST)

    def remove():
        services.relation_remove(
            actor=request.user,
            customer=customer,
            relation_id=relation_id,
            reason=form.cleaned_data["reason"],
        )
        return _("Relasi dihapus.")

    return run_action(request, remove, back=_back(customer.pk), form=form)
