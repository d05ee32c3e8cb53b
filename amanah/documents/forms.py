from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.documents.doctypes import Retention, type_choices


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=200)
    doc_type = forms.ChoiceField(label=_("Jenis dokumen"))
    retention = forms.ChoiceField(
        label=_("Kelas retensi"),
        required=False,
        choices=[("", _("Sesuai jenis dokumen"))] + Retention.choices,
    )
    file = forms.FileField(label=_("Berkas (PDF, JPG, PNG, DOCX, XLSX)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = type_choices()


class VersionForm(forms.Form):
    file = forms.FileField(label=_("Berkas versi baru"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    to = forms.CharField(max_length=32)
    decision_reason = forms.CharField(label=_("Alasan penolakan"), max_length=500, required=False)


class LegalHoldForm(forms.Form):
    hold = forms.TypedChoiceField(
        choices=[("1", _("Tahan")), ("0", _("Lepaskan"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(
        label=_("Alasan"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
