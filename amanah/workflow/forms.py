from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TransitionEditForm(forms.Form):
    permission = forms.CharField(label=_("Izin"), max_length=100)
    guard = forms.CharField(label=_("Guard"), max_length=100, required=False)
    enabled = forms.BooleanField(label=_("Aktif"), required=False)
