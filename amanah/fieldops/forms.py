"""Input parsing only; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import BoundedDateField, BoundedDateTimeField, RupiahField
from amanah.fieldops.models import Outcome

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M"]


class PositionForm(forms.Form):
    """The device position the agent's page passes (``?lat=&lon=``) to order the route."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)


class VisitForm(forms.Form):
    idempotency_key = forms.CharField(max_length=80)
    outcome = forms.ChoiceField(label=_("Hasil kunjungan"), choices=Outcome.choices)
    note = forms.CharField(label=_("Catatan"), max_length=1000, required=False)
    promise_date = BoundedDateField(label=_("Tanggal janji bayar"), required=False)
    promise_amount = RupiahField(label=_("Nominal janji bayar"), required=False, min_value=1)
    paid_amount = RupiahField(label=_("Nominal dibayar"), required=False, min_value=1)
    latitude = forms.FloatField(required=False)
    longitude = forms.FloatField(required=False)
    accuracy_m = forms.FloatField(required=False)
    captured_at = BoundedDateTimeField(required=False, input_formats=DATETIME_FORMATS)
    position_confirmed = forms.BooleanField(
        label=_("Posisi ini lokasi pelanggan yang benar"), required=False
    )


class GenerateForm(forms.Form):
    source = forms.ChoiceField(label=_("Sumber tunggakan"), choices=())
    min_days = forms.IntegerField(label=_("Hari tunggakan minimal"), min_value=1, initial=30)
    min_amount = RupiahField(label=_("Tunggakan minimal (Rp)"), min_value=0, initial=0)
    segment = forms.CharField(label=_("Segmen (opsional)"), max_length=20, required=False)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(k, s.label) for k, s in sources]


class CreateForm(forms.Form):
    customer_id = forms.UUIDField(label=_("ID pelanggan"))
    note = forms.CharField(label=_("Catatan"), max_length=500, required=False)
    address = forms.CharField(label=_("Alamat"), max_length=300, required=False)
    latitude = forms.FloatField(label=_("Lintang"), required=False)
    longitude = forms.FloatField(label=_("Bujur"), required=False)


class AssignForm(forms.Form):
    agent = forms.UUIDField(label=_("Petugas"))


class MoveForm(forms.Form):
    to = forms.CharField(max_length=32)
    cancel_reason = forms.CharField(label=_("Alasan pembatalan"), max_length=500, required=False)


class RevertForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), max_length=2000)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=(("ACCEPT", _("Terima")), ("REJECT", _("Tolak"))))


class ExportForm(forms.Form):
    """The monitoring page's download: what, which format, optionally which days."""

    what = forms.ChoiceField(
        label=_("Data"),
        choices=[("work_orders", _("Work order")), ("visits", _("Hasil kunjungan"))],
    )
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    dari = BoundedDateField(label=_("Dari tanggal"), required=False)
    sampai = BoundedDateField(label=_("Sampai tanggal"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("dari") and data.get("sampai") and data["dari"] > data["sampai"]:
            raise forms.ValidationError(_("Tanggal awal harus sebelum tanggal akhir."))
        return data


class PhotoForm(forms.Form):
    """A photo of a visit (the checks are the service's: type, size, metadata)."""

    photo = forms.FileField(label=_("Foto kunjungan"), required=False)
