"""Break-glass grants for the view-permission world, built through services on first use."""

from __future__ import annotations

from amanah.breakglass import services
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey
from amanah.iam import services as iam

REASON = "Pemeriksaan pengaduan nasabah untuk laporan OJK"


def _officer(username: str):
    from amanah.conftest import PASSWORD

    user = iam.user_create(
        actor=SystemActor("system:test"),
        username=username,
        full_name="Kepatuhan Uji",
        password=PASSWORD,
        roles=[RoleKey.COMPLIANCE],
        scopes=[iam.ScopeInput(branch=None)],
        home_branch=None,
    )
    user.active_role = RoleKey.COMPLIANCE
    return user


def grants(world: dict) -> dict:
    """A pending request and an open emergency on each branch's customer, each asked by
    compliance officers of the whole bank (never the signed-in tester)."""
    if "breakglass" not in world:
        asker, rusher = _officer("bg_asker"), _officer("bg_rusher")
        built = {}
        for key in ("a", "b"):
            customer = world[f"customer_{key}"]
            built[f"pending_{key}"] = services.breakglass_request(
                actor=asker, customer=customer, reason=REASON
            )
            built[f"emergency_{key}"] = services.breakglass_request(
                actor=rusher, customer=customer, reason=REASON, emergency=True
            )
        world["breakglass"] = built
    return world["breakglass"]


def grant_kwargs(name: str):
    return lambda world: {"grant_id": grants(world)[name].pk}
