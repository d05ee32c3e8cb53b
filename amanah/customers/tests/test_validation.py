import datetime as dt

import pytest

from amanah.core.errors import ServiceError
from amanah.customers.names import normalize_name
from amanah.customers.tests.conftest import BORN, NIK_F, NIK_M
from amanah.customers.validation import nik_birth_date_and_gender, normalize_phone, validate_nik


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Muh Rizky Siregar", "H. Muhammad Rizky Siregar, S.E."),
        ("m. rizky siregar", "H. Muhammad Rizky Siregar, S.E."),
        ("MUHAMMAD RIZKY  SIREGAR", "Muhammad Rizky Siregar"),
        ("Siti Nurhaliza Lubis", "Hj. Siti Nurhaliza Lubis, S.Pd., M.M."),
        ("abd rahman nasution", "Prof. Dr. H. Moh. Abd. Rahman Nasution, S.H., M.Hum."),
        ("budi santoso", "Dr. Ir. Budi  Santoso"),
        ("nur'aini", "Siti Nur’aini"),
    ],
)
def test_name_habits_normalize_to_the_same_key(typed, stored):
    key = normalize_name(typed)
    assert key and key in normalize_name(stored)


def test_names_keep_what_matters():
    assert normalize_name("Ni Luh Putu Ayu") == "ni luh putu ayu"
    assert normalize_name("Tan Siu Lie") == "tan siu lie"


@pytest.mark.parametrize(
    "raw", ["0812-3456-789", "628123456789", "+62 812-3456-789", "62 812 3456 789"]
)
def test_phone_forms_are_one_number(raw):
    assert normalize_phone(raw) == "+628123456789"


def test_foreign_numbers_are_kept_in_e164():
    assert normalize_phone("+65 9123 4567") == "+6591234567"


@pytest.mark.parametrize("raw", ["12345", "0812", "+62 812", "+62 999 1234 5678", "abc"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(ServiceError) as refused:
        normalize_phone(raw)
    assert refused.value.code == "phone_invalid"


def test_nik_decodes_birth_date_and_sex():
    assert nik_birth_date_and_gender(NIK_M) == (BORN, "M")
    assert nik_birth_date_and_gender(NIK_F) == (BORN, "F")


@pytest.mark.parametrize(
    ("nik", "kwargs", "code"),
    [
        ("12710123048500", {}, "nik_format"),
        ("12710123048500AB", {}, "nik_format"),
        ("9971012304850003", {}, "nik_province"),
        ("1271013204850003", {}, "nik_birth_date"),  # 32nd day
        ("1271012313850003", {}, "nik_birth_date"),  # 13th month
        (NIK_M, {"birth_date": dt.date(1985, 4, 24)}, "nik_birth_date_mismatch"),
        (NIK_M, {"gender": "F"}, "nik_gender_mismatch"),
        ("1271012304850000", {}, "nik_sequence"),
    ],
)
def test_implausible_niks_are_refused_with_a_reason(nik, kwargs, code):
    with pytest.raises(ServiceError) as refused:
        validate_nik(nik, **kwargs)
    assert refused.value.code == code


def test_plausible_nik_passes():
    assert validate_nik(f" {NIK_F} ", birth_date=BORN, gender="F") == NIK_F


# --------------------------------------------------------------------------- fast paths
# The batch import leans on the fast paths of phone, e-mail and name normalisation; each must
# answer exactly what the full way answers (or send the input the full way).

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amanah.customers import names, validation  # noqa: E402


def _outcome(fn, raw):
    try:
        return fn(raw)
    except ServiceError as error:
        return ("refused", error.code)


_PHONES = st.builds(
    lambda prefix, first, rest, sep: prefix + sep.join([first, rest]),
    st.sampled_from(["", "0", "62", "+62", "+620", "00", "8", "+6", "062"]),
    st.text("0123456789", min_size=1, max_size=4),
    st.text("0123456789", min_size=0, max_size=12),
    st.sampled_from(["", " ", "-"]),
)


@settings(max_examples=400, deadline=None)
@given(_PHONES)
def test_phone_fast_path_agrees_with_phonenumbers(raw):
    assert _outcome(validation.normalize_phone, raw) == _outcome(
        validation._normalize_phone_slow, raw.strip()
    )


@pytest.mark.parametrize(
    "raw", ["081234567890", "6281234567890", "+6281234567890", "81234567890", "0895123456789"]
)
def test_phone_fast_path_takes_the_common_mobile_spellings(raw):
    assert validation._MOBILE.fullmatch(raw)
    assert validation.normalize_phone(raw) == validation._normalize_phone_slow(raw)


_EMAILS = st.builds(
    lambda user, domain, tld: f"{user}@{domain}.{tld}",
    st.text("abcXYZ019._%+-!#'ü", min_size=0, max_size=12),
    st.text("abc019-.ü_", min_size=0, max_size=12),
    st.text("abcdeZ0-ü", min_size=0, max_size=5),
)


@settings(max_examples=400, deadline=None)
@given(_EMAILS)
def test_email_fast_path_is_a_subset_of_djangos_check(raw):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = raw.strip().lower()
    if validation._PLAIN_EMAIL.fullmatch(email):
        try:
            validate_email(email)
        except ValidationError:
            pytest.fail(f"fast path accepts what Django refuses: {email!r}")
        assert validation.normalize_email(raw) == email


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="ascii"), max_size=30))
def test_ascii_names_lower_as_the_unicode_way_does(text):
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    slow = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    assert names._ascii_lower(text) == slow
