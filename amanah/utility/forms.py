"""Forms of the utility pages: they read what was typed (a month ``YYYY-MM``, tariff blocks
one per line, an outline as JSON); the rules are the services'."""

from __future__ import annotations

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import RupiahField
from amanah.core.money import PERSON, AmountRefused, format_rupiah, read_amount
from amanah.ledger.forms import MonthField
from amanah.utility.models import ConnectionStatus, InstallationStatus, PaymentPlan

_BLOCK = re.compile(r"\s*(\d{1,7})\s*-\s*(\d{1,7})?\s*[:=]\s*(.+?)\s*")


class SpamForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=20)
    name = forms.CharField(label=_("Nama SPAM"), max_length=120)
    capacity_lps = forms.DecimalField(
        label=_("Kapasitas (l/detik)"), max_digits=9, decimal_places=2, min_value=0
    )
    production_lps = forms.DecimalField(
        label=_("Produksi (l/detik)"), max_digits=9, decimal_places=2, min_value=0, initial=0
    )
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)


class AreaForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=20)
    name = forms.CharField(label=_("Nama wilayah"), max_length=120)
    centre_lat = forms.DecimalField(
        label=_("Lintang pusat"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    centre_lon = forms.DecimalField(
        label=_("Bujur pusat"), max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    radius_m = forms.IntegerField(label=_("Radius (m)"), min_value=1, max_value=200_000)
    polygon = forms.CharField(
        label=_("Batas wilayah (JSON: [[lintang, bujur], …], boleh kosong)"),
        required=False,
        max_length=40_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    spam_code = forms.ChoiceField(label=_("SPAM"), required=False)
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)

    def __init__(self, *args, spams: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spam_code"].choices = [("", _("— belum ada —")), *spams]

    def clean_polygon(self):
        raw = self.cleaned_data["polygon"].strip()
        if not raw:
            return []
        try:
            return json.loads(raw)
        except ValueError:
            raise ValidationError(
                _("Batas wilayah harus JSON, misalnya [[3.59, 98.67], …].")
            ) from None


class TariffForm(forms.Form):
    code = forms.CharField(label=_("Kode golongan"), max_length=10)
    name = forms.CharField(label=_("Nama golongan"), max_length=120)
    fixed_charge = RupiahField(label=_("Abonemen (Rp/bulan)"), min_value=0, max_value=10_000_000)
    blocks = forms.CharField(
        label=_(
            "Blok tarif, satu per baris: dari-sampai: harga per m³ (blok terakhir tanpa "
            "batas atas, misalnya 20-: 7500)"
        ),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)

    def clean_blocks(self):
        blocks = []
        for number, line in enumerate(self.cleaned_data["blocks"].splitlines(), 1):
            if not line.strip():
                continue
            match = _BLOCK.fullmatch(line)
            if not match:
                raise ValidationError(
                    _("Baris %(n)d: tulis dari-sampai: harga, misalnya 0-10: 2500.") % {"n": number}
                )
            start, end, price = match.groups()
            blocks.append((int(start), int(end) if end else None, _price(number, price)))
        return blocks


def _price(number: int, typed: str) -> int:
    """A price typed in a line of text, read as the Rupiah field reads it."""
    try:
        return read_amount(typed, source=PERSON)
    except AmountRefused as refused:
        raise ValidationError(
            _("Baris %(n)d: %(reason)s") % {"n": number, "reason": refused.message}
        ) from None


def blocks_text(group) -> str:
    """The blocks as the form shows them, prices with dots (read back the same)."""
    return "\n".join(
        f"{b.from_m3}-{'' if b.to_m3 is None else b.to_m3}: {format_rupiah(b.price)}"
        for b in group.blocks.all()
    )


class ConnectionForm(forms.Form):
    customer_id = forms.UUIDField(label=_("ID data orang (pelanggan)"))
    number = forms.CharField(label=_("No. sambungan"), max_length=20)
    tariff_code = forms.ChoiceField(label=_("Golongan tarif"))
    area_code = forms.ChoiceField(label=_("Wilayah layanan"))
    meter_number = forms.CharField(label=_("No. meter"), max_length=30, required=False)
    street = forms.CharField(label=_("Jalan"), max_length=200)
    house_number = forms.CharField(label=_("No. rumah"), max_length=20, required=False)
    rt = forms.CharField(label=_("RT"), max_length=3, required=False)
    rw = forms.CharField(label=_("RW"), max_length=3, required=False)
    village = forms.CharField(label=_("Kelurahan/desa"), max_length=100, required=False)
    district = forms.CharField(label=_("Kecamatan"), max_length=100, required=False)
    lat = forms.DecimalField(
        label=_("Lintang"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    lon = forms.DecimalField(
        label=_("Bujur"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )

    def __init__(self, *args, tariffs, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff_code"].choices = tariffs
        self.fields["area_code"].choices = areas


class ConnectionFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Cari (no. sambungan, no. meter, nama)"), required=False, max_length=100
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Semua")), *ConnectionStatus.choices]
    )
    area = forms.CharField(label=_("Kode wilayah"), required=False, max_length=20)
    alamat = forms.BooleanField(label=_("Alamat belum lengkap saja"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status baru"), choices=ConnectionStatus.choices)
    reason = forms.CharField(label=_("Alasan"), max_length=300, required=False)


class PaymentForm(forms.Form):
    amount = RupiahField(label=_("Jumlah (Rp)"), min_value=1, max_value=10**12)
    reference = forms.CharField(label=_("No. kuitansi / referensi"), max_length=80)


class BillingForm(forms.Form):
    period = MonthField(label=_("Periode"))


# --------------------------------------------------------------------------- pasang baru


class MoveForm(forms.Form):
    """One step of a new connection; the fields a step needs are filled by that step's form
    (survey: coordinates and note; meter activation: the meter number)."""

    to = forms.CharField(max_length=32)
    lat = forms.CharField(label=_("Lintang"), max_length=20, required=False)
    lon = forms.CharField(label=_("Bujur"), max_length=20, required=False)
    note = forms.CharField(
        label=_("Catatan survei"), max_length=1000, required=False, widget=forms.Textarea
    )
    meter_number = forms.CharField(label=_("No. meter"), max_length=30, required=False)


class RevertForm(forms.Form):
    reason = forms.CharField(label=_("Alasan pembatalan"), max_length=2000, widget=forms.Textarea)


class RabForm(forms.Form):
    lines = forms.CharField(
        label=_("Baris RAB (uraian; volume; harga satuan — satu baris per item)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
    )

    def clean_lines(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    _("Baris %(n)d: tulis uraian; volume; harga satuan.") % {"n": number}
                )
            rows.append([parts[0], parts[1], _price(number, parts[2])])
        return rows


class ScheduleForm(forms.Form):
    plan = forms.ChoiceField(label=_("Cara bayar"), choices=PaymentPlan.choices)
    count = forms.IntegerField(
        label=_("Jumlah angsuran"), min_value=2, max_value=36, required=False
    )
    first_due = forms.DateField(label=_("Jatuh tempo pertama"), required=False)


class InstallationFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", _("Semua tahap")), *InstallationStatus.choices], required=False
    )
