from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.payments.models import Provider

MAX_UPLOAD = 20_000_000


class SettlementUploadForm(forms.Form):
    provider = forms.ChoiceField(label=_("Gateway"), choices=Provider.choices)
    settlement_date = forms.DateField(
        label=_("Tanggal settlement"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(label=_("File settlement (CSV)"))

    def clean_settlement_date(self):
        day = self.cleaned_data["settlement_date"]
        if day.year < 2000 or day.year > 2100:
            raise forms.ValidationError(_("Tanggal di luar rentang yang masuk akal."))
        return day

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("File terlalu besar (maks. 20 MB)."))
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("File harus berformat CSV."))
        return upload
