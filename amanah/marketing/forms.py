from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.customers.models import CustomerSegment, CustomerStatus
from amanah.marketing.ab_services import VARIANT_KEYS
from amanah.marketing.models import (
    SENDABLE_CHANNELS,
    AbMetric,
    AbRollout,
    CampaignChannel,
    Segment,
)
from amanah.messaging.contract import Purpose
from amanah.messaging.selectors import approved_templates

ANY, YES, NO = "", "yes", "no"
TRISTATE = [(ANY, _("Semua")), (YES, _("Ya")), (NO, _("Tidak"))]
PRODUCTS = [
    ("has_savings", _("Punya tabungan")),
    ("has_mobile_banking", _("Mobile banking aktif")),
    ("has_loan", _("Punya pinjaman")),
    ("has_credit_card", _("Punya kartu kredit")),
]


def _registered_name(key: str) -> str:
    return "field_" + key.replace(".", "__")


class SegmentForm(forms.Form):
    """A rule builder over the fields the seed names; it produces the rules JSON."""

    name = forms.CharField(label=_("Nama segmen"), max_length=120)
    segment_codes = forms.MultipleChoiceField(
        label=_("Kode segmen"),
        required=False,
        choices=CustomerSegment.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    branches = forms.CharField(
        label=_("Kode cabang (pisahkan koma)"), required=False, max_length=400
    )
    statuses = forms.MultipleChoiceField(
        label=_("Status nasabah"),
        required=False,
        choices=CustomerStatus.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    vip = forms.ChoiceField(label=_("VIP"), choices=TRISTATE, required=False)
    open_case = forms.ChoiceField(label=_("Ada kasus terbuka"), choices=TRISTATE, required=False)
    marketing_consent = forms.ChoiceField(
        label=_("Persetujuan pemasaran"),
        required=False,
        choices=[
            (ANY, _("Semua")),
            ("GRANTED", _("Diberikan")),
            ("WITHDRAWN", _("Ditarik")),
            ("NONE", _("Belum ada")),
        ],
    )
    has_savings = forms.ChoiceField(label=PRODUCTS[0][1], choices=TRISTATE, required=False)
    has_mobile_banking = forms.ChoiceField(label=PRODUCTS[1][1], choices=TRISTATE, required=False)
    has_loan = forms.ChoiceField(label=PRODUCTS[2][1], choices=TRISTATE, required=False)
    has_credit_card = forms.ChoiceField(label=PRODUCTS[3][1], choices=TRISTATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields other apps offer (``registry.segment_fields``, e.g. utility's tariff
        # group and arrears band): any of the ticked codes.
        for key, offered in registry.segment_fields.items():
            self.fields[_registered_name(key)] = forms.MultipleChoiceField(
                label=offered.label,
                required=False,
                choices=offered.choices(),
                widget=forms.CheckboxSelectMultiple,
            )

    def rules(self) -> dict:
        d = self.cleaned_data
        rules = []
        for key, _offered in registry.segment_fields.items():
            if d.get(_registered_name(key)):
                rules.append({"field": key, "op": "in", "value": d[_registered_name(key)]})
        if d["segment_codes"]:
            rules.append({"field": "segment_code", "op": "in", "value": d["segment_codes"]})
        branches = [b.strip().upper() for b in d["branches"].split(",") if b.strip()]
        if branches:
            rules.append({"field": "branch", "op": "in", "value": branches})
        if d["statuses"]:
            rules.append({"field": "status", "op": "in", "value": d["statuses"]})
        for field in ("vip", "open_case", *(p for p, _label in PRODUCTS)):
            if d.get(field) in (YES, NO):
                rules.append(
                    {
                        "field": "is_vip" if field == "vip" else field,
                        "op": "eq",
                        "value": d[field] == YES,
                    }
                )
        if d["marketing_consent"]:
            rules.append(
                {"field": "marketing_consent", "op": "eq", "value": d["marketing_consent"]}
            )
        return {"all": rules}

    @staticmethod
    def initial_from(segment: Segment) -> dict:
        initial = {"name": segment.name}
        for rule in segment.current.rules["all"]:
            field, value = rule["field"], rule["value"]
            if field == "segment_code":
                initial["segment_codes"] = value
            elif field == "branch":
                initial["branches"] = ", ".join(value)
            elif field == "status":
                initial["statuses"] = value
            elif field == "marketing_consent":
                initial["marketing_consent"] = value
            elif field in registry.segment_fields:
                initial[_registered_name(field)] = value
            else:
                initial["vip" if field == "is_vip" else field] = YES if value else NO
        return initial


class CampaignForm(forms.Form):
    """A campaign draft. Its text is a messaging template (purpose OFFER) with an approved
    version; the list offers those, the service checks the template for the channel when the
    campaign is submitted, approved and sent."""

    name = forms.CharField(label=_("Nama kampanye"), max_length=120)
    segment = forms.ModelChoiceField(label=_("Segmen"), queryset=Segment.objects.order_by("name"))
    channel = forms.ChoiceField(
        label=_("Kanal"),
        choices=[(c.value, c.label) for c in SENDABLE_CHANNELS],
        help_text=_("Notifikasi aplikasi belum tersedia untuk nasabah."),
    )
    template_key = forms.ChoiceField(
        label=_("Templat pesan (penawaran)"),
        choices=[],
        help_text=_("Templat penawaran yang sudah disetujui; kanalnya tertera di tiap pilihan."),
    )
    promo_code = forms.CharField(
        label=_("Kode promo"),
        required=False,
        max_length=32,
        help_text=_("Mengisi {{promo.code}} di templat."),
    )
    objective = forms.CharField(label=_("Tujuan"), required=False, max_length=500)
    message = forms.CharField(
        label=_("Catatan internal untuk penyetuju (tidak dikirim)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channel_names = dict(CampaignChannel.choices)
        self.fields["template_key"].choices = [("", "—")] + [
            (key, f"{name} ({', '.join(str(channel_names.get(c, c)) for c in channels)})")
            for key, name, channels in approved_templates(purpose=Purpose.OFFER)
        ]


def verdict_choices():
    from amanah.consent.contract import Purpose, reason_codes
    from amanah.marketing.models import eligibility_reason_label
    from amanah.marketing.selectors import ELIGIBLE

    return [("", _("Semua anggota")), (ELIGIBLE, _("Layak"))] + [
        (code, eligibility_reason_label(code)) for code in reason_codes(Purpose.OFFER)
    ]


class MembersFilterForm(forms.Form):
    """The member list's filters (GET): the verdict or reason, the branch code, an exact CIF
    or phone (never a name), the page."""

    verdict = forms.ChoiceField(label=_("Putusan"), choices=verdict_choices, required=False)
    branch = forms.CharField(label=_("Kode cabang"), required=False, max_length=10)
    q = forms.CharField(
        label=_("CIF atau no. telepon (lengkap)"), required=False, max_length=40, strip=True
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class AbTestForm(forms.Form):
    """A campaign's A/B test: the test itself and up to four variant rows (A is the control;
    a row without a split is left out). The service checks everything and names the field."""

    metric = forms.ChoiceField(label=_("Metrik pemenang"), choices=AbMetric.choices)
    test_percent = forms.IntegerField(
        label=_("Porsi audiens untuk uji (%)"),
        initial=20,
        help_text=_("Sisanya menerima varian pemenang setelah uji diputuskan."),
    )
    min_duration_hours = forms.IntegerField(
        label=_("Durasi minimal (jam)"), initial=24, help_text=_("Minimal 24 jam.")
    )
    baseline_rate = forms.CharField(
        label=_("Tingkat dasar yang diharapkan (%)"),
        initial="10",
        max_length=10,
        help_text=_("Mis. tingkat buka email biasanya."),
    )
    min_detectable_effect = forms.CharField(
        label=_("Selisih minimal yang ingin dideteksi (poin persen)"),
        initial="5",
        max_length=10,
        help_text=_("Dari sini ukuran sampel per varian direncanakan (α = 0,05, power 0,8)."),
    )
    rollout = forms.ChoiceField(label=_("Roll-out pemenang"), choices=AbRollout.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = [("", _("Kanal kampanye"))] + [(c.value, c.label) for c in SENDABLE_CHANNELS]
        for key in VARIANT_KEYS:
            k = key.lower()
            self.fields[f"{k}_label"] = forms.CharField(
                label=_("Varian %(key)s: nama") % {"key": key}, required=False, max_length=60
            )
            self.fields[f"{k}_split"] = forms.IntegerField(
                label=_("Varian %(key)s: porsi (%%)") % {"key": key}, required=False
            )
            self.fields[f"{k}_template_key"] = forms.CharField(
                label=_("Varian %(key)s: kunci templat (kosong = templat kampanye)") % {"key": key},
                required=False,
                max_length=64,
            )
            self.fields[f"{k}_channel"] = forms.ChoiceField(
                label=_("Varian %(key)s: kanal") % {"key": key}, choices=channels, required=False
            )
            self.fields[f"{k}_send_hour"] = forms.IntegerField(
                label=_("Varian %(key)s: jam kirim (WIB, kosong = segera)") % {"key": key},
                required=False,
            )

    def variants(self) -> list[dict]:
        d = self.cleaned_data
        rows = []
        for key in VARIANT_KEYS:
            k = key.lower()
            if d.get(f"{k}_split") is None:
                continue
            rows.append(
                {
                    name: d.get(f"{k}_{name}")
                    for name in ("label", "split", "template_key", "channel", "send_hour")
                }
            )
        return rows

    @staticmethod
    def initial_from(test, variants) -> dict:
        initial = {
            "metric": test.metric,
            "test_percent": test.test_percent,
            "min_duration_hours": test.min_duration_hours,
            "baseline_rate": f"{test.baseline_rate * 100:g}",
            "min_detectable_effect": f"{test.min_detectable_effect * 100:g}",
            "rollout": test.rollout,
        }
        for v in variants:
            k = v.key.lower()
            initial.update(
                {
                    f"{k}_label": v.label,
                    f"{k}_split": v.split,
                    f"{k}_template_key": v.template_key,
                    f"{k}_channel": v.channel,
                    f"{k}_send_hour": v.send_hour,
                }
            )
        return initial
