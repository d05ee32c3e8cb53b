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


class ImportUploadForm(forms.Form):
    """A file for a target; the source is a registered external system or a manual upload."""

    target = forms.ChoiceField(label=_("Tujuan impor"))
    source = forms.ChoiceField(label=_("Sumber data"), required=False)
    file = forms.FileField(label=_("Berkas CSV (UTF-8) atau Excel (.xlsx)"))

    def __init__(self, *args, targets=(), systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(k, t.label) for k, t in targets]
        self.fields["source"].choices = [("", _("Unggah manual"))] + [
            (s.name, s.label) for s in systems
        ]

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.INTEGRATIONS_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Berkas terlalu besar (maks. %d MB); bagi menjadi beberapa batch.")
                % (settings.INTEGRATIONS_IMPORT_MAX_BYTES // (1024 * 1024))
            )
        return upload


class ImportMappingForm(forms.Form):
    """One choice per column of the file: the target field it fills, or nothing."""

    def __init__(self, *args, columns=(), fields=(), initial_mapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(abaikan kolom ini)"))] + [
            (f.name, f"{f.label}{' *' if f.required else ''}") for f in fields
        ]
        initial_mapping = initial_mapping or {}
        self.columns = list(columns)
        for n, column in enumerate(self.columns):
            self.fields[f"col_{n}"] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=False,
                initial=initial_mapping.get(column, ""),
            )

    def mapping(self) -> dict:
        return {
            column: self.cleaned_data[f"col_{n}"]
            for n, column in enumerate(self.columns)
            if self.cleaned_data.get(f"col_{n}")
        }
