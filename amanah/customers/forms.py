"""The customer form: the fields of ``services.CustomerInput`` as a person types them. It only
shapes input; the service validates (NIK, phone, e-mail, scope) and says what is wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import BoundedDateField
from amanah.customers.models import CustomerSegment, CustomerStatus, Gender
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
    """The form's starting values for an edit."""
    return {
        "full_name": data.full_name,
        "birth_date": data.birth_date,
        "gender": data.gender,
        "phone": data.phone,
        "email": data.email,
        "home_branch": str(data.home_branch.pk),
        "segment_code": data.segment_code,
        "is_vip": data.is_vip,
        "status": data.status,
        **data.products,
    }
