"""The customers app's forms: the customer form (the fields of ``services.CustomerInput`` as a
person types them) and the small forms of master data maintenance (identifiers, relations,
portfolios, the fraud flag). They only shape input; the services validate and say what is
wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import BoundedDateField
from amanah.core.masking import mask
from amanah.customers.models import (
    CustomerSegment,
    CustomerStatus,
    Gender,
    IdentifierType,
    RelationType,
    VerificationMethod,
)
from amanah.customers.services import PRODUCT_FIELDS, CustomerInput

PRODUCT_LABELS = {
    "has_savings": _("Tabungan"),
    "has_mobile_banking": _("Mobile banking aktif"),
    "has_loan": _("Pinjaman"),
    "has_credit_card": _("Kartu kredit"),
}


class CustomerForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap (sesuai KTP)"), max_length=200)
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=32,
        help_text=_("16 digit; kosongkan bila belum ada."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = BoundedDateField(
        label=_("Tanggal lahir"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(label=_("Jenis kelamin"), choices=Gender.choices)
    phone = forms.CharField(
        label=_("Nomor ponsel"),
        required=False,
        max_length=30,
        help_text=_("Mis. 0812-3456-7890 atau +62 812 3456 7890."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}),
    )
    home_branch = forms.ChoiceField(label=_("Cabang asal"))
    segment_code = forms.ChoiceField(label=_("Segmen"), required=False)
    is_vip = forms.BooleanField(label=_("VIP"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=CustomerStatus.choices)
    has_savings = forms.BooleanField(label=PRODUCT_LABELS["has_savings"], required=False)
    has_mobile_banking = forms.BooleanField(
        label=PRODUCT_LABELS["has_mobile_banking"], required=False
    )
    has_loan = forms.BooleanField(label=PRODUCT_LABELS["has_loan"], required=False)
    has_credit_card = forms.BooleanField(label=PRODUCT_LABELS["has_credit_card"], required=False)
    confirm = forms.BooleanField(
        label=_("Saya sudah memeriksa daftar di atas; tetap daftarkan sebagai nasabah baru."),
        required=False,
    )

    def __init__(self, *args, branches, creating: bool, current_segment: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.branches = {str(b.pk): b for b in branches}
        self.fields["home_branch"].choices = [(str(b.pk), str(b)) for b in branches]
        choices = list(CustomerSegment.choices)
        if current_segment and current_segment not in CustomerSegment.values:
            choices.append((current_segment, current_segment))  # kept as it is until changed
        self.fields["segment_code"].choices = [("", "—"), *choices]
        if creating:
            del self.fields["status"]  # a new customer is active
        else:
            del self.fields["nik"]  # identifiers are managed separately
            del self.fields["confirm"]

    def as_input(self) -> CustomerInput:
        d = self.cleaned_data
        return CustomerInput(
            full_name=d["full_name"],
            home_branch=self.branches[d["home_branch"]],
            birth_date=d["birth_date"],
            gender=d["gender"],
            phone=d["phone"],
            email=d["email"],
            segment_code=d["segment_code"],
            is_vip=d["is_vip"],
            status=d.get("status") or CustomerStatus.ACTIVE,
            products={f: d[f] for f in PRODUCT_FIELDS},
            nik=d.get("nik", ""),
        )


def initial_of(data: CustomerInput) -> dict:
    """The form's starting values for an edit: phone and e-mail masked, as the 360 shows them
    (revealed one at a time, with a reason; sent back masked, the stored value is kept)."""
    return {
        "full_name": data.full_name,
        "birth_date": data.birth_date,
        "gender": data.gender,
        "phone": mask("phone", data.phone),
        "email": mask("email", data.email),
        "home_branch": str(data.home_branch.pk),
        "segment_code": data.segment_code,
        "is_vip": data.is_vip,
        "status": data.status,
        **data.products,
    }


# --------------------------------------------------------------------------- master data

REASON = {"label": _("Alasan"), "max_length": 300}


def _reason(required: bool = True) -> forms.CharField:
    return forms.CharField(
        required=required, widget=forms.TextInput(attrs={"autocomplete": "off"}), **REASON
    )


class IdentifierAddForm(forms.Form):
    id_type = forms.ChoiceField(label=_("Jenis identitas"), choices=IdentifierType.choices)
    value = forms.CharField(
        label=_("Nilai"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class IdentifierCorrectForm(forms.Form):
    value = forms.CharField(
        label=_("Nilai yang benar"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = _reason()


class IdentifierVerifyForm(forms.Form):
    method = forms.ChoiceField(label=_("Cara verifikasi"), choices=VerificationMethod.choices)


class ReasonOnlyForm(forms.Form):
    reason = _reason()


class RelationAddForm(forms.Form):
    other_cif = forms.CharField(label=_("CIF nasabah yang berelasi"), max_length=20)
    relation_type = forms.ChoiceField(label=_("Jenis relasi"), choices=RelationType.choices)
    label = forms.CharField(
        label=_("Keterangan (mis. Suami, Pemilik, Direktur)"), max_length=60, required=False
    )


class PortfolioAssignForm(forms.Form):
    rm = forms.ChoiceField(label=_("RM"))
    reason = _reason(required=False)

    def __init__(self, *args, holders, **kwargs):
        super().__init__(*args, **kwargs)
        self.holders = {str(u.pk): u for u in holders}
        self.fields["rm"].choices = [("", "—")] + [
            (pk, f"{u.full_name} ({u.username})") for pk, u in self.holders.items()
        ]

    def chosen_rm(self):
        return self.holders.get(self.cleaned_data["rm"])


class PortfolioTransferForm(forms.Form):
    to_rm = forms.ChoiceField(label=_("Pindahkan ke RM"))
    everyone = forms.BooleanField(
        label=_("Semua nasabah RM ini dalam scope Anda (juga yang tidak tampil di daftar)"),
        required=False,
    )
    customers = forms.MultipleChoiceField(
        label=_("Nasabah yang dipindahkan"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = _reason()

    def __init__(self, *args, holders, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.holders = {str(u.pk): u for u in holders}
        self.fields["to_rm"].choices = [("", "—")] + [
            (pk, f"{u.full_name} ({u.username})") for pk, u in self.holders.items()
        ]
        self.fields["customers"].choices = [(str(c.pk), c.full_name) for c in customers]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("everyone") and not cleaned.get("customers"):
            raise forms.ValidationError(_("Pilih nasabah yang dipindahkan, atau semuanya."))
        return cleaned

    def chosen_rm(self):
        return self.holders.get(self.cleaned_data["to_rm"])

    def customer_ids(self):
        """None: every customer of the RM the actor may move."""
        return None if self.cleaned_data["everyone"] else self.cleaned_data["customers"]


class FraudFlagForm(forms.Form):
    cif = forms.CharField(label=_("CIF"), max_length=20)
    flagged = forms.TypedChoiceField(
        label=_("Tindakan"),
        choices=[("1", _("Pasang tanda fraud")), ("0", _("Cabut tanda fraud"))],
        coerce=lambda v: v == "1",
    )
    reason = _reason()
