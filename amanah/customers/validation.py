"""Validation of Indonesian identity data, with a clear error for each kind of mistake."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError

# First two digits of a NIK: the province (Kemendagri codes 11–94).
PROVINCE_CODES = frozenset(
    [
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        31,
        32,
        33,
        34,
        35,
        36,
        51,
        52,
        53,
        61,
        62,
        63,
        64,
        65,
        71,
        72,
        73,
        74,
        75,
        76,
        81,
        82,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
    ]
)


def nik_birth_date_and_gender(nik: str) -> tuple[date, str]:
    """Decode a NIK's DDMMYY block: women have 40 added to the day."""
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    gender = "F" if day > 40 else "M"
    day = day - 40 if day > 40 else day
    this_year = date.today().year % 100
    year = 2000 + year2 if year2 <= this_year else 1900 + year2
    return date(year, month, day), gender


def validate_nik(nik: str, *, birth_date: date | None = None, gender: str | None = None) -> str:
    """A 16-digit NIK whose province, birth date and sex encoding are plausible."""
    nik = (nik or "").strip().replace(" ", "")
    if len(nik) != 16 or not nik.isdigit():
        raise ServiceError("nik_format", _("NIK harus 16 digit angka."), field="nik")
    if int(nik[:2]) not in PROVINCE_CODES:
        raise ServiceError("nik_province", _("Kode provinsi NIK tidak dikenal."), field="nik")
    try:
        encoded_birth, encoded_gender = nik_birth_date_and_gender(nik)
    except ValueError as exc:
        raise ServiceError(
            "nik_birth_date", _("Tanggal lahir di NIK tidak valid."), field="nik"
        ) from exc
    if birth_date and encoded_birth != birth_date:
        raise ServiceError(
            "nik_birth_date_mismatch",
            _("Tanggal lahir di NIK tidak cocok dengan data nasabah."),
            field="nik",
        )
    if gender in ("M", "F") and encoded_gender != gender:
        raise ServiceError(
            "nik_gender_mismatch", _("Kode jenis kelamin di NIK tidak cocok."), field="nik"
        )
    if nik[12:] == "0000":
        raise ServiceError("nik_sequence", _("Nomor urut NIK tidak boleh 0000."), field="nik")
    return nik


def _mobile_fast_path():
    """The common spellings of an Indonesian mobile number (0812…, 62812…, +62812…, or
    812… after Excel dropped the leading zero), recognised with ``phonenumbers``' own
    metadata for the region (the mobile and the general pattern, both whole-number matches)
    so the answer is the one ``phonenumbers`` gives — tested against it. Anything else goes
    the full way."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("ID")
    mobile = meta.mobile.national_number_pattern
    general = meta.general_desc.national_number_pattern
    shortest, longest = min(meta.mobile.possible_length), max(meta.mobile.possible_length)
    return re.compile(
        rf"(?:\+62|62|0)?(?=(?:{general})\Z)(?=\d{{{shortest},{longest}}}\Z)({mobile})",
        re.ASCII,
    )


_MOBILE = _mobile_fast_path()


def normalize_phone(raw: str) -> str:
    """Any way an Indonesian number is written (0812…, 62812…, +62 812-…) → E.164."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    fast = _MOBILE.fullmatch(raw)
    if fast:
        return "+62" + fast.group(1)
    return _normalize_phone_slow(raw)


def _normalize_phone_slow(raw: str) -> str:
    candidate = raw
    digits = "".join(c for c in raw if c.isdigit())
    if raw.startswith("62") or (digits.startswith("62") and not raw.startswith(("0", "+"))):
        candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, "ID")
    except phonenumbers.NumberParseException as exc:
        raise ServiceError("phone_invalid", _("Nomor telepon tidak valid."), field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ServiceError("phone_invalid", _("Nomor telepon tidak valid."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(raw: str) -> bool:
    digits = "".join(c for c in raw if c.isdigit())
    return 9 <= len(digits) <= 15 and (raw.strip().startswith(("0", "+62", "62")))


# A plain address (ASCII letters, digits and ``._%+-`` before the @, dotted labels after it,
# a letters-only top-level domain): a strict subset of what Django's ``validate_email``
# accepts, answered without it (tested to agree); anything else goes to Django's validator.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)


def normalize_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if not email:
        return ""
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email):
        return email
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError("email_invalid", _("Alamat email tidak valid."), field="email") from exc
    return email
