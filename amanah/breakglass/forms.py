from django import forms
from django.utils.translation import gettext_lazy as _


class RequestForm(forms.Form):
    cif = forms.CharField(label=_("CIF nasabah"), max_length=40)
    reason = forms.CharField(label=_("Alasan"), max_length=2000, widget=forms.Textarea)
    emergency = forms.BooleanField(
        label=_("Darurat: buka sekarang, ditinjau dalam 24 jam"), required=False
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Setujui")), ("reject", _("Tolak"))])
    note = forms.CharField(label=_("Catatan"), max_length=2000, required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Catatan"), max_length=2000, required=False)
