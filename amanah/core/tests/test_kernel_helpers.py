"""The kernel's small helpers that replaced copies in the apps (issue 52): who stands behind an
actor, text a person may leave out, a key that must be a UUID."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from amanah.core.actors import SYSTEM, IntegrationActor, user_or_none
from amanah.core.inputs import is_uuid, optional_text


def test_user_or_none_keeps_a_member_of_staff_and_drops_the_others():
    staff = SimpleNamespace(pk=uuid.uuid4(), username="siti")
    job = IntegrationActor("kernel-helper-test", permissions=())
    assert user_or_none(staff) is staff
    assert user_or_none(job) is None
    assert user_or_none(SYSTEM) is None
    assert user_or_none(None) is None


@pytest.mark.parametrize(
    ("value", "max_length", "expected"),
    [
        (None, None, ""),
        ("", None, ""),
        ("   ", None, ""),
        ("  catatan  ", None, "catatan"),
        ("  catatan panjang ", 7, "catatan"),
        (None, 5, ""),
    ],
)
def test_optional_text(value, max_length, expected):
    assert optional_text(value, max_length=max_length) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (uuid.UUID(int=1), True),
        ("8c2f6a1e-3b1d-4c55-9a53-1f0e2d3c4b5a", True),
        ("8c2f6a1e3b1d4c559a531f0e2d3c4b5a", True),
        ("", False),
        (None, False),
        ("12", False),
        ("bukan-uuid", False),
    ],
)
def test_is_uuid(value, expected):
    assert is_uuid(value) is expected
