"""The fraud flag (compliance / risk): the customers bearing it in the actor's branches, each
with its latest reason, and the form to set or clear it by CIF with a reason. Compliance does
not open customers on the 360 (seed 003 Bab 6.3.5); the flag shows there as a critical alert
to those who do."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.customers import selectors, services
from amanah.customers.forms import FraudFlagForm, ReasonOnlyForm
from amanah.customers.policies import FRAUD_FLAG


@requires(FRAUD_FLAG)
def fraud_flags(request):
    form = FraudFlagForm(request.POST or None)

    def submit(cleaned):
        customer = selectors.customer_by_cif_for_change(
            actor=request.user, permission=FRAUD_FLAG, cif=cleaned["cif"]
        )
        services.fraud_flag_set(
            actor=request.user,
            customer=customer,
            flagged=cleaned["flagged"],
            reason=cleaned["reason"],
        )
        done = _("Tanda fraud dipasang.") if cleaned["flagged"] else _("Tanda fraud dicabut.")
        return Done(reverse("customers:fraud_flags"), done)

    return submit_form(
        request,
        form,
        submit,
        template="customers/fraud_flags.html",
        context=lambda: {
            "flagged": selectors.fraud_flagged(request.user),
            "clear_form": ReasonOnlyForm(auto_id=False),
        },
    )


@requires(FRAUD_FLAG)
@require_POST
def fraud_flag_clear(request, customer_id):
    customer = selectors.customer_for_change(
        actor=request.user, permission=FRAUD_FLAG, customer_id=customer_id
    )
    form = ReasonOnlyForm(request.POST)

    def clear():
        services.fraud_flag_set(
            actor=request.user,
            customer=customer,
            flagged=False,
            reason=form.cleaned_data["reason"],
        )
        return _("Tanda fraud dicabut.")

    return run_action(request, clear, back=reverse("customers:fraud_flags"), form=form)
