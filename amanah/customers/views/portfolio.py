"""RM portfolios: one customer's RM and history (assign, move, take out), the RMs of the
actor's scope with their portfolio sizes, one RM's customers with the bulk move, and the
RM's own list ("Portofolio saya")."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import NotFound
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.customers import selectors, services
from amanah.customers.forms import PortfolioAssignForm, PortfolioTransferForm, ReasonOnlyForm
from amanah.customers.policies import PORTFOLIO_BULK, PORTFOLIO_HOLD, PORTFOLIO_MANAGE
from amanah.iam import authz
from amanah.iam.models import User

LIST_TEMPLATE = "customers/portfolio_list.html"


@requires(PORTFOLIO_MANAGE)
def portfolio(request, customer_id):
    """The customer's RM, the form to put it in (or move it to) a portfolio, its history."""
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    holders = services.portfolio_holders([customer.home_branch_id])
    form = PortfolioAssignForm(request.POST or None, holders=holders)
    history = selectors.portfolio_history(customer=customer)

    def submit(cleaned):
        rm = form.chosen_rm()
        services.portfolio_assign(
            actor=request.user, customer=customer, rm=rm, reason=cleaned["reason"]
        )
        message = _("%(name)s kini di portofolio %(rm)s.") % {
            "name": customer.full_name,
            "rm": rm.full_name,
        }
        return Done(reverse("customers:portfolio", args=[customer.pk]), message)

    return submit_form(
        request,
        form,
        submit,
        template="customers/portfolio.html",
        context={
            "customer": customer,
            "history": history,
            "current": next((a for a in history if a.active), None),
            "release_form": ReasonOnlyForm(),
        },
    )


@requires(PORTFOLIO_MANAGE)
@require_POST
def portfolio_release(request, customer_id):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = ReasonOnlyForm(request.POST)

    def release():
        services.portfolio_release(
            actor=request.user, customer=customer, reason=form.cleaned_data["reason"]
        )
        return _("Nasabah dilepas dari portofolio RM.")

    back = reverse("customers:portfolio", args=[customer.pk])
    return run_action(request, release, back=back, form=form)


@requires(PORTFOLIO_MANAGE)
def portfolios(request):
    """The RMs holding customers the actor sees, with how many."""
    return render(
        request,
        "customers/portfolios.html",
        {"counts": selectors.portfolio_counts(request.user)},
    )


def _rm(rm_id) -> User:
    found = User.objects.filter(pk=rm_id).first()
    if found is None:
        raise NotFound()
    return found


def _transfer_form(request, rm: User, customers) -> PortfolioTransferForm:
    branches = {c.home_branch_id for c in customers}
    holders = [u for u in services.portfolio_holders(branches) if u.pk != rm.pk]
    return PortfolioTransferForm(
        request.POST or None,
        holders=holders,
        customers=customers,
    )


@requires(PORTFOLIO_MANAGE)
def portfolio_of(request, rm_id):
    """One RM's customers the actor sees; the bulk move for holders of its permission."""
    rm = _rm(rm_id)
    customers = selectors.portfolio_customers(request.user, rm.pk)
    if not customers:
        raise NotFound()  # no customer of this RM in the actor's scope: nothing to show
    may_move = authz.has_perm(request.user, PORTFOLIO_BULK)
    form = _transfer_form(request, rm, customers) if may_move else None
    return render(
        request,
        LIST_TEMPLATE,
        {"rm": rm, "customers": customers, "form": form, "mine": False},
    )


@requires(PORTFOLIO_BULK)
@require_POST
def portfolio_transfer(request, rm_id):
    rm = _rm(rm_id)
    customers = selectors.portfolio_customers(request.user, rm.pk)
    if not customers:
        raise NotFound()
    form = _transfer_form(request, rm, customers)

    def move():
        moved = services.portfolio_transfer(
            actor=request.user,
            from_rm=rm,
            to_rm=form.chosen_rm(),
            reason=form.cleaned_data["reason"],
            customer_ids=form.customer_ids(),
        )
        return _("%(n)d nasabah dipindahkan ke portofolio RM lain.") % {"n": moved}

    back = reverse("customers:portfolio_of", args=[rm.pk])
    return run_action(request, move, back=back, form=form)


@requires(PORTFOLIO_HOLD)
def my_portfolio(request):
    """The RM's own customers (seed 003 Bab 5.3: "Portfolio list → 360")."""
    customers = selectors.portfolio_customers(request.user, request.user.pk)
    return render(
        request,
        LIST_TEMPLATE,
        {"rm": request.user, "customers": customers, "form": None, "mine": True},
    )
