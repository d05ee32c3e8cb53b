"""Forms of the journal pages: a month is typed as ``YYYY-MM`` (the browser's month input)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import date_in_range
from amanah.ledger.models import AccountType

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthField(forms.Field):
    """``2026-05`` → ``date(2026, 5, 1)``; anything else a clear error."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "maxlength": 7})

    def to_python(self, value):
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            return None
        match = _MONTH.fullmatch(value)
        month = None
        if match and 1 <= int(match[2]) <= 12:
            month = dt.date(int(match[1]), int(match[2]), 1)
        if month is None or not date_in_range(month):
            raise ValidationError(_("Tulis periode sebagai TTTT-BB, misalnya 2026-05."))
        return month


class JournalFilterForm(forms.Form):
    dari = MonthField(label=_("Dari periode"), required=False)
    sampai = MonthField(label=_("Sampai periode"), required=False)
    sumber = forms.ChoiceField(label=_("Sumber"), required=False)
    akun = forms.CharField(label=_("Kode akun"), required=False, max_length=20)
    q = forms.CharField(label=_("Cari"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, sources: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sumber"].choices = [("", _("Semua sumber")), *sources.items()]


class PeriodRangeForm(forms.Form):
    dari = MonthField(label=_("Dari periode"))
    sampai = MonthField(label=_("Sampai periode"), required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("dari"), data.get("sampai")
        if first and last and last < first:
            raise ValidationError(_("Periode akhir tidak boleh sebelum periode awal."))
        if first and not last:
            data["sampai"] = first
        return data


class ExportForm(PeriodRangeForm):
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX (Excel)")], initial="csv"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), max_length=500)


class PeriodForm(forms.Form):
    month = MonthField(label=_("Periode"))


class PeriodReopenForm(PeriodForm):
    reason = forms.CharField(label=_("Alasan membuka kembali"), max_length=500)


class AccountForm(forms.Form):
    code = forms.CharField(label=_("Kode akun"), max_length=20)
    name = forms.CharField(label=_("Nama akun"), max_length=120)
    type = forms.ChoiceField(label=_("Jenis"), choices=AccountType.choices)
    external_code = forms.CharField(
        label=_("Kode di sistem akuntansi"), max_length=40, required=False
    )
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)
