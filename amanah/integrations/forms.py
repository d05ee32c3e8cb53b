from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import catalogue
from amanah.integrations.monitor import MAX_SILENT_MINUTES
from amanah.integrations.services import MAX_VALID_DAYS


def _permission_choices():
    return [(code, f"{code} — {p.label}") for code, p in catalogue().items()]


class ExternalSystemForm(forms.Form):
    name = forms.SlugField(label=_("Nama sistem (slug)"), max_length=40)
    label = forms.CharField(label=_("Label"), max_length=120)
    permissions = forms.MultipleChoiceField(
        label=_("Izin (sempit)"), widget=forms.CheckboxSelectMultiple
    )
    all_branches = forms.BooleanField(label=_("Semua cabang"), required=False)
    allowed_networks = forms.CharField(
        label=_("IP/CIDR yang diizinkan (satu per baris; kosong = semua)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    valid_days = forms.IntegerField(
        label=_("Kunci berlaku (hari)"), min_value=1, max_value=MAX_VALID_DAYS, initial=365
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = _permission_choices()


class RotateForm(forms.Form):
    valid_days = forms.IntegerField(
        label=_("Kunci baru berlaku (hari)"), min_value=1, max_value=MAX_VALID_DAYS, initial=365
    )


class LinkForm(forms.Form):
    cif = forms.CharField(label=_("CIF nasabah"), max_length=40)


class ScheduleForm(forms.Form):
    silent_after_minutes = forms.IntegerField(
        label=_("Beri tahu jika senyap lebih dari (menit; kosong = tanpa jadwal)"),
        min_value=1,
        max_value=MAX_SILENT_MINUTES,
        required=False,
    )
