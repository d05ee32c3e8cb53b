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
