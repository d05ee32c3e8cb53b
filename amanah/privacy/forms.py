from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.privacy.models import CorrectableField


class DsarForm(forms.Form):
    cif = forms.CharField(label=_("CIF nasabah"), max_length=40)
    reference = forms.CharField(
        label=_("Referensi permintaan subjek data (surat, tiket)"), max_length=200
    )


class DownloadForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("json", "JSON")])
    reason = forms.CharField(label=_("Alasan membuka"), max_length=2000)


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("Kolom"), choices=CorrectableField.choices)
    new_value = forms.CharField(
        label=_("Nilai yang benar"),
        max_length=200,
        help_text=_("Tanggal lahir: TTTT-BB-HH. Jenis kelamin: M, F atau U."),
    )
    reason = forms.CharField(
        label=_("Alasan dan bukti yang diperiksa"), max_length=2000, widget=forms.Textarea
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("apply", _("Terapkan")), ("reject", _("Tolak"))])
    note = forms.CharField(label=_("Catatan"), max_length=2000, required=False)


class BreachForm(forms.Form):
    title = forms.CharField(label=_("Judul insiden"), max_length=200)
    description = forms.CharField(
        label=_("Uraian (apa yang terjadi, penyebab, langkah penanganan)"),
        max_length=2000,
        widget=forms.Textarea,
    )
    data_categories = forms.CharField(label=_("Jenis data pribadi yang terdampak"), max_length=300)
    subjects_affected = forms.IntegerField(
        label=_("Perkiraan jumlah subjek data"), min_value=0, max_value=300_000_000
    )
    discovered_at = forms.DateTimeField(
        label=_("Waktu bank mengetahui insiden"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class NotifyForm(forms.Form):
    note = forms.CharField(
        label=_("Pemberitahuan (kepada siapa, kapan, lewat apa)"), max_length=2000
    )
