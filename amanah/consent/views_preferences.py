"""The customer's communication preferences on the 360 (a registered tab) and their change."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amanah.consent.models import PreferencePurpose, PreferredChannel
from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.preferences import contact_preference_set, contact_preferences
from amanah.consent.services import may_change_consent
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.customers.selectors import customer_for


class PreferenceForm(forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("Tujuan"), choices=PreferencePurpose.choices)
    channel = forms.ChoiceField(
        label=gettext_lazy("Kanal pilihan"),
        choices=[("", gettext_lazy("Kanal apa saja"))] + list(PreferredChannel.choices),
        required=False,
    )


def preferences_tab_context(customer, actor) -> dict:
    """The tab's rows (the 360 has already checked the actor may see ``customer``)."""
    return {
        "preferences": contact_preferences(customer),
        "preference_form": PreferenceForm(),
        "can_change_preferences": may_change_consent(actor),
    }


@requires(CONSENT_CHANGE)
@require_POST
def preference_set(request, customer_id):
    customer = customer_for(actor=request.user, customer_id=customer_id)
    form = PreferenceForm(request.POST)

    def change():
        changed = contact_preference_set(actor=request.user, customer=customer, **form.cleaned_data)
        if not changed:
            return _("Preferensi kontak tidak berubah.")
        return _("Preferensi kontak disimpan dan langsung berlaku.")

    back = reverse("customer360:workspace", kwargs={"customer_id": customer.pk})
    return run_action(
        request,
        change,
        back=f"{back}?tab=consent.preferences",
        form=form,
        invalid=_("Pilih tujuan dan kanal yang dikenal."),
    )
