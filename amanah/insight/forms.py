"""Insight forms: decisions and outcomes on the NBA panel, a proposed rule change."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.consent.contract import ContactChannel
from amanah.core.fields import RupiahField
from amanah.insight.models import MerchantCategory
from amanah.insight.nba.models import ActionType, ContactPurpose, Priority, RelatedEntity


class DecideForm(forms.Form):
    rule = forms.CharField(max_length=40)
    related = forms.CharField(max_length=64, required=False)
    decision = forms.CharField(max_length=10)
    reason = forms.CharField(max_length=500, required=False)
    snooze_days = forms.IntegerField(required=False, min_value=1, max_value=90)


class OutcomeForm(forms.Form):
    decision = forms.UUIDField()
    outcome = forms.CharField(max_length=10)


class TriggerForm(forms.Form):
    """One row of the recovery trigger table; the service validates the values."""

    action = forms.CharField(max_length=32)
    estimated_value = RupiahField(label=_("Nilai (IDR)"))
    active = forms.BooleanField(required=False)


class MoveForm(forms.Form):
    to = forms.CharField(max_length=32)


class RuleForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=120)
    action_type = forms.ChoiceField(label=_("Jenis aksi"), choices=ActionType.choices)
    priority = forms.ChoiceField(label=_("Prioritas"), choices=Priority.choices)
    reason_template = forms.CharField(label=_("Templat alasan"), max_length=300)
    condition = forms.CharField(
        label=_("Kondisi (JSON: daftar {fact, op, value})"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    related_entity_type = forms.ChoiceField(
        label=_("Entitas terkait"), choices=RelatedEntity.choices, required=False
    )
    purpose = forms.ChoiceField(label=_("Tujuan kontak"), choices=ContactPurpose.choices)
    channel = forms.ChoiceField(label=_("Kanal"), choices=ContactChannel.choices)
    value = forms.FloatField(label=_("Nilai bisnis (value)"), min_value=0.01, max_value=10)
    lever = forms.FloatField(label=_("Pengungkit (lever)"), min_value=0, max_value=10)
    active = forms.BooleanField(label=_("Aktif"), required=False)

    def clean_condition(self):
        try:
            return json.loads(self.cleaned_data["condition"])
        except (ValueError, RecursionError):  # a nesting too deep is bad JSON too
            raise forms.ValidationError(_("Kondisi harus JSON yang sah.")) from None


class MerchantForm(forms.Form):
    """A merchant partner's fields as typed; ranges, the end date and the rest are the
    service's (``merchants.services``), which names the field it refuses."""

    code = forms.CharField(label=_("Kode merchant (NMID QRIS)"), max_length=40)
    name = forms.CharField(label=_("Nama merchant"), max_length=120)
    category = forms.ChoiceField(label=_("Kategori"), choices=MerchantCategory.choices)
    city = forms.CharField(label=_("Kota"), max_length=60)
    latitude = forms.FloatField(label=_("Lintang"), required=False)
    longitude = forms.FloatField(label=_("Bujur"), required=False)
    promo_text = forms.CharField(
        label=_("Teks promo"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    promo_ends_on = forms.DateField(
        label=_("Promo berakhir"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MerchantFilterForm(forms.Form):
    city = forms.CharField(label=_("Kota"), max_length=60, required=False)
    category = forms.ChoiceField(
        label=_("Kategori"), choices=[("", _("Semua"))] + MerchantCategory.choices, required=False
    )
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Semua")), ("1", _("Aktif")), ("0", _("Nonaktif"))],
        required=False,
    )


class SendMerchantForm(forms.Form):
    merchant = forms.UUIDField()
