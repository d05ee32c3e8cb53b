"""RupiahField: rupiah as Indonesians type it, shown back with dots, garbage refused clearly."""

import pytest
from django import forms

from amanah.core.fields import RUPIAH_INVALID, RupiahField
from amanah.core.money import format_rupiah, read_amount


class AmountForm(forms.Form):
    amount = RupiahField(label="Nominal", min_value=1)


class SignedForm(forms.Form):
    amount = RupiahField(label="Selisih", allow_negative=True)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("500.000.000", 500_000_000),
        ("Rp 1.500.000", 1_500_000),
        ("Rp1.500.000", 1_500_000),
        ("rp. 1.500.000,00", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1\u00a0500\u00a0000", 1_500_000),
        ("2500000", 2_500_000),
        ("  750.000  ", 750_000),
        ("1.000", 1000),
    ],
)
def test_indonesian_amounts_are_read_as_meant(typed, meant):
    form = AmountForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == meant


@pytest.mark.parametrize(
    "typed",
    ["sejuta", "1.5", "1.50.000", "12,34", "1,500,000", "Rp", "1.000.0000", "1e6", "--5", "9" * 16],
)
def test_garbage_is_refused_with_one_clear_message(typed):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors.as_data()["amount"][0].code == RUPIAH_INVALID
    assert "1.500.000" in form.errors["amount"][0]


def test_negatives_are_refused_unless_the_field_allows_them():
    refused = AmountForm({"amount": "-1.000"})
    assert not refused.is_valid() and "negatif" in refused.errors["amount"][0]
    zero = AmountForm({"amount": "0"})
    assert not zero.is_valid()  # min_value=1 still holds
    signed = SignedForm({"amount": "Rp -1.000"})
    assert signed.is_valid() and signed.cleaned_data["amount"] == -1000


def test_required_and_empty():
    assert AmountForm({"amount": "  "}).errors["amount"]
    optional = type("O", (forms.Form,), {"amount": RupiahField(required=False)})
    form = optional({"amount": ""})
    assert form.is_valid() and form.cleaned_data["amount"] is None


def test_the_form_shows_the_amount_with_dots():
    assert 'value="1.500.000"' in str(AmountForm(initial={"amount": 1_500_000})["amount"])
    # a re-displayed form shows a typed amount with dots, and garbage as it was typed
    assert 'value="1.500.000"' in str(AmountForm({"amount": "Rp 1500000"})["amount"])
    assert 'value="sejuta"' in str(AmountForm({"amount": "sejuta"})["amount"])
    html = str(AmountForm()["amount"])
    assert 'type="text"' in html and 'inputmode="numeric"' in html


def test_parse_and_format_round_trip():
    for n in (0, 7, 1000, 1_500_000, 999_999_999_999_999, -42_000):
        assert read_amount(format_rupiah(n), negative=True) == n
    assert format_rupiah(1_500_000) == "1.500.000"
