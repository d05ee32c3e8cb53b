from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.followup.models import LogKind


class LogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis"), choices=LogKind.choices)
    note = forms.CharField(label=_("Catatan"), max_length=2000, required=False)
