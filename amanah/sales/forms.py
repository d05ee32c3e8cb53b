from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import BoundedDateField, RupiahField
from amanah.sales.models import ActivityType, FollowUpStatus, LeadStatus, OpportunityStage


class LeadCreateForm(forms.Form):
    # Required: an empty form must not hand the RM a blank lead (issue 16).
    product_interest = forms.CharField(label=_("Minat produk"), max_length=120)
    note = forms.CharField(
        label=_("Catatan untuk RM"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LeadMoveForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Pindah ke"), choices=LeadStatus.choices)
    reason = forms.CharField(
        label=_("Alasan (wajib saat menutup)"), max_length=2000, required=False
    )


class ActivityForm(forms.Form):
    activity_type = forms.ChoiceField(label=_("Jenis"), choices=ActivityType.choices)
    note = forms.CharField(
        label=_("Catatan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead = forms.UUIDField(required=False, widget=forms.HiddenInput)


class OpportunityCreateForm(forms.Form):
    product_interest = forms.CharField(label=_("Produk"), max_length=120)
    estimated_value = RupiahField(label=_("Nilai estimasi (Rp)"), min_value=1)
    expected_close_date = BoundedDateField(
        label=_("Perkiraan closing"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lead = forms.UUIDField(required=False, widget=forms.HiddenInput)


class OpportunityMoveForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("Pindah ke"), choices=OpportunityStage.choices)
    reason = forms.CharField(label=_("Alasan (wajib bila gagal)"), max_length=2000, required=False)


class FollowUpCompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Hasil"),
        choices=[(FollowUpStatus.DONE, _("Selesai")), (FollowUpStatus.SKIPPED, _("Dilewati"))],
    )
    reason = forms.CharField(label=_("Alasan / hasil"), max_length=2000)
    create_lead = forms.BooleanField(label=_("Buat lead untuk RM"), required=False)
    product_interest = forms.CharField(label=_("Minat produk"), max_length=120, required=False)
