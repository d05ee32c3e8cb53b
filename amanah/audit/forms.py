from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.audit.models import AuditAction
from amanah.audit.selectors import AuditFilter
from amanah.core.fields import BoundedDateField


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Aksi"), required=False, choices=[("", _("Semua"))] + AuditAction.choices
    )
    actor = forms.CharField(label=_("Pelaku (username)"), required=False, max_length=150)
    object_type = forms.CharField(label=_("Jenis objek"), required=False, max_length=64)
    object_id = forms.CharField(label=_("ID objek"), required=False, max_length=128)
    date_from = BoundedDateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return AuditFilter(**data)
