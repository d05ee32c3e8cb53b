"""Masking on the server, and the audited reveal of one field."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import masking
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("nik", "1271012304850003", "************0003"),
        ("phone", "+6281234567789", "+62 812-****-789"),
        ("phone", "+62215551234", "+62 215-****-234"),
        ("email", "budi@bank.co.id", "b***@bank.co.id"),
        ("account", "0012345677890", "*********7890"),
        ("account", "12345", "***45"),
        ("nik", "", ""),
        ("email", None, ""),
        ("name", "Siti  Aminah Lubis", "S*** A*** L***"),
        ("name", "", ""),
    ],
)
def test_masks_keep_only_the_tail(kind, value, expected):
    assert masking.mask(kind, value) == expected


@pytest.mark.parametrize(
    "value",
    ["+6281234567789", "+62 812-3456-7789", "+62８１２34567789", "+62٨١٢34567789", "+6281",
     "+44207946000", "+", "0812-3456-789", "+62812345677\n"],
)  # fmt: skip
def test_the_e164_fast_path_masks_as_the_regex_does(value):
    import re

    digits = re.sub(r"\D", "", value)  # the rule as written before the fast path
    if value.startswith("+62") and len(digits) >= 9:
        expected = f"+62 {digits[2:][:3]}-****-{digits[-3:]}"
    else:
        expected = "*" * max(len(digits) - 3, 3) + digits[-3:]
    assert masking.mask_phone(value) == expected


def test_masked_value_never_contains_the_hidden_part():
    nik = "1271012304850003"
    assert nik[:12] not in masking.mask_nik(nik)


def test_reveal_needs_a_reason_and_is_audited(make_user):
    admin = make_user(R.ADMIN)
    staff = make_user(R.AGENT, email="rahasia@bank.co.id")
    with pytest.raises(ServiceError):
        iam.field_reveal(actor=admin, obj=staff, field="email", reason="cek")
    assert not AuditLog.objects.filter(action="REVEAL_FIELD").exists()
    assert (
        iam.field_reveal(
            actor=admin, obj=staff, field="email", reason="konfirmasi alamat untuk surat tugas"
        )
        == "rahasia@bank.co.id"
    )
    event = AuditLog.objects.get(action="REVEAL_FIELD")
    assert event.meta == {"field": "email", "reason": "konfirmasi alamat untuk surat tugas"}
    assert "rahasia" not in str(event.meta)


def test_reveal_refused_without_permission_and_for_unknown_fields(make_user):
    staff = make_user(R.AGENT, email="rahasia@bank.co.id")
    with pytest.raises(PermissionDenied):
        iam.field_reveal(
            actor=make_user(R.RM), obj=staff, field="email", reason="alasan yang cukup panjang"
        )
    with pytest.raises(ServiceError):
        iam.field_reveal(
            actor=make_user(R.ADMIN), obj=staff, field="password", reason="alasan panjang sekali"
        )


def test_user_page_shows_the_email_masked_until_revealed(make_user):
    staff = make_user(R.AGENT, email="rahasia@bank.co.id")
    client = sign_in(Client(), make_user(R.ADMIN))
    page = client.get(f"/admin/users/{staff.pk}/").content.decode()
    assert "r***@bank.co.id" in page and "rahasia@bank.co.id" not in page
    revealed = client.post(
        f"/admin/users/{staff.pk}/reveal-email/", {"reason": "verifikasi data staf"}
    )
    assert "rahasia@bank.co.id" in revealed.content.decode()
