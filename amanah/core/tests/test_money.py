"""``core.money``: the one reading of rupiah — what a person and a machine may write, what is
refused as ambiguous, and (hypothesis) that every amount the house formats reads back as itself
from either source, and that the machine's reading only adds to the person's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ninja import Schema

from amanah.core.fields import Rupiah, RupiahSen
from amanah.core.money import (
    MACHINE,
    PERSON,
    RUPIAH_INVALID,
    AmountRefused,
    format_rupiah,
    read_amount,
    service_amount,
)

BOTH = (PERSON, MACHINE)


@pytest.mark.parametrize("source", BOTH)
@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("500.000", 500_000),
        ("Rp 1.500.000", 1_500_000),
        ("1.500.000,00", 1_500_000),
        ("Rp. 1.500.000,-", 1_500_000),
        ("IDR 2.500", 2_500),
        ("1.500", 1_500),  # a dot before three digits groups thousands
        ("1 500 000", 1_500_000),
        ("1\u00a0500\u00a0000", 1_500_000),
        ("2500000", 2_500_000),
        ("0", 0),
    ],
)
def test_what_both_sources_read_as_meant(text, meant, source):
    assert read_amount(text, source=source) == meant
    assert read_amount(text, source=source, sen=True) == Decimal(meant)


@pytest.mark.parametrize("source", BOTH)
@pytest.mark.parametrize(
    ("text", "meant"),
    [("1.500.000,5", "1500000.50"), ("1,05", "1.05"), ("Rp 12.345,67", "12345.67")],
)
def test_sen_after_a_comma_where_the_field_holds_sen(text, meant, source):
    assert read_amount(text, source=source, sen=True) == Decimal(meant)
    with pytest.raises(AmountRefused, match="tanpa sen"):
        read_amount(text, source=source)


@pytest.mark.parametrize(
    ("text", "meant"), [("1500000.00", 1_500_000), ("1500000.5", Decimal("1500000.50"))]
)
def test_a_machine_may_write_a_decimal_point_a_person_is_asked_again(text, meant):
    assert read_amount(text, source=MACHINE, sen=True) == meant
    with pytest.raises(AmountRefused) as refused:
        read_amount(text, source=PERSON, sen=True)
    assert "koma memisahkan sen" in refused.value.message


@pytest.mark.parametrize("source", BOTH)
@pytest.mark.parametrize(
    "text",
    [
        "1,500",  # English thousands, or three decimals?
        "1,500,000",
        "1,500.00",
        "1.50.000",
        "1.000.0000",
        "0.500",
        "1.500 000",
        "1.500.00",
        "1e6",
        "--5",
        "Rp",
        "",
        "sejuta",
        "1,5 juta",
        "１２３",  # full-width digits
        "9" * 16,
        "(1.000)",
    ],
)
def test_ambiguous_or_garbage_is_refused_with_an_example(text, source):
    with pytest.raises(AmountRefused) as refused:
        read_amount(text, source=source, sen=True)
    assert refused.value.code == RUPIAH_INVALID
    assert "1.500.000" in refused.value.message


def test_negatives_only_where_allowed():
    for text in ("-1.000", "Rp -1.000", "-Rp 1.000"):
        assert read_amount(text, negative=True) == -1000
        with pytest.raises(AmountRefused, match="negatif"):
            read_amount(text)


@pytest.mark.parametrize(
    ("number", "meant"),
    [(1_500_000, 1_500_000), (1_500_000.0, 1_500_000), (Decimal("1500000.00"), 1_500_000)],
)
def test_numbers_are_taken_as_they_are(number, meant):
    assert read_amount(number, source=MACHINE) == meant


@pytest.mark.parametrize("number", [1.125, Decimal("0.001"), float("nan"), float("inf"), True])
def test_numbers_with_more_than_two_decimals_or_no_value_are_refused(number):
    with pytest.raises(AmountRefused):
        read_amount(number, source=MACHINE, sen=True)
    assert read_amount(1_500_000.5, source=MACHINE, sen=True) == Decimal("1500000.50")


def test_format_shows_sen_only_when_there_are_some():
    assert format_rupiah(1_500_000) == "1.500.000"
    assert format_rupiah(Decimal("1500000.00")) == "1.500.000"
    assert format_rupiah(Decimal("1500000.50")) == "1.500.000,50"
    assert format_rupiah(-42_000) == "-42.000"


def test_a_service_reads_with_its_own_refusal():
    def refuse():
        return ValueError("mine")

    assert service_amount("1.500.000", low=1, high=10**9, refuse=refuse) == 1_500_000
    assert service_amount("1500000.00", low=1, high=10**9, refuse=refuse) == 1_500_000
    for bad in ("0", "1,500", "20.000.000.000", None):
        with pytest.raises(ValueError, match="mine"):
            service_amount(bad, low=1, high=10**9, refuse=refuse)


# --------------------------------------------------------------------------- hypothesis

WHOLE_AMOUNTS = st.integers(min_value=0, max_value=10**15 - 1)
SEN_AMOUNTS = st.builds(
    lambda rupiah, sen: Decimal(rupiah) + Decimal(sen) / 100,
    WHOLE_AMOUNTS,
    st.integers(min_value=0, max_value=99),
)


def _spellings(text: str) -> list[str]:
    """The ways a person writes one formatted amount."""
    whole = "," not in text
    out = [text, f"Rp {text}", f"Rp.{text}", f"IDR {text}", text.replace(".", " ")]
    out.append(text.replace(".", "\u00a0"))
    if whole:
        out += [f"{text},00", f"Rp {text},-", text.replace(".", "")]
    return out


@given(WHOLE_AMOUNTS)
def test_every_formatted_whole_amount_reads_back_from_both_sources(n):
    for spelled in _spellings(format_rupiah(n)):
        for source in BOTH:
            assert read_amount(spelled, source=source) == n, spelled


@given(SEN_AMOUNTS)
def test_every_formatted_amount_with_sen_reads_back_from_both_sources(amount):
    for spelled in _spellings(format_rupiah(amount)):
        for source in BOTH:
            assert read_amount(spelled, source=source, sen=True) == amount, spelled


@given(SEN_AMOUNTS)
def test_a_machines_decimal_point_reads_as_the_number(amount):
    text = f"{amount:.2f}"
    assert read_amount(text, source=MACHINE, sen=True) == amount
    if amount < 10**13:  # a float's 15 digits hold rupiah and sen exactly
        assert read_amount(float(text), source=MACHINE, sen=True) == amount
    else:  # a JSON number this long may not be the one sent: refused, never rounded
        with pytest.raises(AmountRefused, match="teks"):
            read_amount(float(text), source=MACHINE, sen=True)
    with pytest.raises(AmountRefused):
        read_amount(text, source=PERSON, sen=True)


@given(st.text(alphabet="0123456789.,- Rp\u00a0", max_size=24))
def test_any_text_is_read_or_refused_and_the_machine_agrees_with_the_person(text):
    try:
        person = read_amount(text, source=PERSON, sen=True, negative=True)
    except AmountRefused:
        person = None
    try:
        machine = read_amount(text, source=MACHINE, sen=True, negative=True)
    except AmountRefused:
        machine = None
    if person is not None:
        assert machine == person
        assert read_amount(format_rupiah(person), sen=True, negative=True) == person


# --------------------------------------------------------------------------- the API type


class _Body(Schema):
    amount: Rupiah
    deposit: RupiahSen | None = None


@pytest.mark.parametrize(
    "given_", [1_500_000, 1_500_000.0, "1.500.000", "Rp 1.500.000", "1.500.000,00", "1500000.00"]
)
def test_the_api_type_reads_a_json_number_as_it_is_and_text_by_the_rule(given_):
    assert _Body(amount=given_).amount == 1_500_000


@pytest.mark.parametrize("given_", ["1,500", "1.5", 1.5, True, [1], "sejuta", -5])
def test_the_api_type_refuses_with_the_house_code(given_):
    with pytest.raises(Exception) as refused:  # noqa: PT011 — pydantic's ValidationError
        _Body(amount=given_)
    assert refused.value.errors()[0]["type"] == RUPIAH_INVALID
    assert _Body(amount=1, deposit="1.500,5").deposit == Decimal("1500.50")
