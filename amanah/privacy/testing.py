"""UU PDP rows for the view-permission world, built through services on first use."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amanah.core.actors import SystemActor
from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey
from amanah.iam import services as iam
from amanah.privacy import services

REFERENCE = "Surat nasabah no. 12/2026"


def _user(username: str, role: str, branches):
    from amanah.conftest import PASSWORD

    user = iam.user_create(
        actor=SystemActor("system:test"),
        username=username,
        full_name="Petugas Uji PDP",
        password=PASSWORD,
        roles=[role],
        scopes=[iam.ScopeInput(branch=b) for b in branches] or [iam.ScopeInput(branch=None)],
        home_branch=branches[0] if branches else None,
    )
    user.active_role = role
    # The default matrix, whatever a test took out of it afterwards (the view-permission test
    # removes the tester's grant before the world's rows are built on first use).
    defaults = frozenset(
        code for code, permission in catalogue().items() if str(role) in permission.default_roles
    )
    user._perm_cache = (role, defaults)
    return user


def rows(world: dict) -> dict:
    """An export and a pending correction on each branch's customer, and an open incident,
    made by people other than the signed-in tester."""
    if "privacy" not in world:
        officer = _user("pdp_officer", RoleKey.COMPLIANCE, [])
        clerk = _user("pdp_clerk", RoleKey.SUPERVISOR, [world["branch_a"], world["branch_b"]])
        built = {}
        for key in ("a", "b"):
            customer = world[f"customer_{key}"]
            built[f"dsar_{key}"] = services.dsar_create(
                actor=officer, customer=customer, reference=REFERENCE
            )
            built[f"correction_{key}"] = services.correction_request(
                actor=clerk,
                customer=customer,
                field="full_name",
                new_value=f"Rina Lubis Koreksi {key.upper()}",
                reason="Salah ketik saat pembukaan rekening, KTP diperiksa.",
            )
        built["incident"] = services.breach_record(
            actor=officer,
            title="Email salah kirim",
            description="Laporan mutasi terkirim ke alamat yang salah.",
            data_categories="nama, nomor rekening",
            subjects_affected=3,
            discovered_at=timezone.now() - timedelta(hours=1),
        )
        world["privacy"] = built
    return world["privacy"]


def kwargs(name: str, arg: str):
    return lambda world: {arg: rows(world)[name].pk}
