from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.customers.models import CustomerSegment, CustomerStatus
from amanah.marketing.models import SENDABLE_CHANNELS, CampaignChannel, Segment
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

    def rules(self) -> dict:
        d = self.cleaned_data
        rules = []
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
