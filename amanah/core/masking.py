"""Partial masking of personal data, done on the server for every page and API answer.

Each function keeps only the tail a person needs to confirm they have the right customer
(seed 003 Bab 6.5): NIK ``************3456``, phone ``+62 812-****-789``, email
``b***@bank.co.id``, account ``******7890``, name ``S*** A***``.
"""

from __future__ import annotations

import re

MASK = "*"


def mask_nik(value: str | None) -> str:
    if not value:
        return ""
    return MASK * (len(value) - 4) + value[-4:]


def mask_account(value: str | None) -> str:
    if not value:
        return ""
    keep = 4 if len(value) > 6 else 2
    return MASK * (len(value) - keep) + value[-keep:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return MASK * 3 if value else ""
    local, domain = value.rsplit("@", 1)
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_phone(value: str | None) -> str:
    """E.164 Indonesian numbers become ``+62 812-****-789``; others keep their last 3 digits."""
    if not value:
        return ""
    if value[:1] == "+" and value.isascii() and value[1:].isdigit():
        digits = value[1:]  # E.164 as stored: no need for the regex (a campaign masks 1M)
    else:
        digits = re.sub(r"\D", "", value)
    if value.startswith("+62") and len(digits) >= 9:
        national = digits[2:]
        return f"+62 {national[:3]}-{MASK * 4}-{national[-3:]}"
    return MASK * max(len(digits) - 3, 3) + digits[-3:]


def mask_name(value: str | None) -> str:
    """Each word keeps its first letter: ``Budi Santoso Sitorus`` → ``B*** S*** S***``."""
    if not value:
        return ""
    return " ".join(f"{word[:1]}{MASK * 3}" for word in value.split())


MASKERS = {
    "name": mask_name,
    "nik": mask_nik,
    "account": mask_account,
    "email": mask_email,
    "phone": mask_phone,
}


def mask(kind: str, value: str | None) -> str:
    return MASKERS[kind](value)
