"""Actors that are not a member of staff, and the grants every actor carries.

``SystemActor`` is for work no person started and that needs everything: CLI bootstrap,
migrations, demo data. ``IntegrationActor`` is for non-human callers in production paths
(schedulers, sweeps, later gateway callbacks and imports bound to an API key): it holds exactly
the permissions and branches it was given, nothing else. Both are recorded in the audit trail
under their label (e.g. ``cli:root``, ``integration:sla-sweep``), so nothing is anonymous.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from amanah.core.permissions import catalogue, is_declared


@dataclass(frozen=True)
class RowGrant:
    """One row an actor may see beyond its declared scope, for a while (break-glass access).

    ``model`` is the row's model label, ``pk`` its key as text; ``audit_meta`` goes into every
    audit row about it (e.g. ``{"break_glass": "<id>"}``). A source registered by the owning
    app in ``registry.row_grant_sources`` hands them out, only while they are valid.
    """

    model: str
    pk: str
    audit_meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Grants:
    """What an actor may do and see right now: permissions, branches and who it is (own rows).

    Computed once per request or job (iam caches a member of staff's grants on the user
    object); ``core.scopes`` builds every ``visible_to`` filter from it.
    """

    permissions: frozenset[str] = frozenset()
    all_branches: bool = False
    branch_ids: frozenset = field(default_factory=frozenset)
    user_id: object = None
    # Rows visible beyond the declaration (``core.scopes.restrict`` adds them). Permissions a
    # row grant source lends are not in ``permissions``: they open routes, never rows.
    row_grants: tuple[RowGrant, ...] = ()

    def has(self, permission: str) -> bool:
        return permission in self.permissions


NO_GRANTS = Grants()


class SystemActor:
    pk = None
    is_authenticated = True
    is_active = True
    active_role = "SYSTEM"
    full_name = "System"

    def __init__(self, label: str = "system"):
        self.username = label

    @property
    def grants(self) -> Grants:
        return Grants(frozenset(catalogue()), all_branches=True)

    def __repr__(self) -> str:
        return f"SystemActor({self.username!r})"


SYSTEM = SystemActor()


class IntegrationActor:
    """A non-human caller with narrow, explicit grants (seed 003 Bab 12: system API keys).

    ``branch_ids=None`` with ``all_branches=False`` means no branch at all: rows scoped by
    branch stay invisible. Unknown permission codes are refused at once, like ``requires``.
    """

    pk = None
    is_authenticated = True
    is_active = True
    active_role = "INTEGRATION"

    def __init__(
        self,
        name: str,
        *,
        permissions: Iterable[str],
        all_branches: bool = False,
        branch_ids: Iterable = (),
    ):
        permissions = frozenset(permissions)
        unknown = sorted(p for p in permissions if not is_declared(p))
        if unknown:
            raise ValueError(f"unknown permissions for integration {name!r}: {unknown}")
        self.name = name
        self.username = f"integration:{name}"
        self.full_name = self.username
        self.grants = Grants(
            permissions, all_branches=all_branches, branch_ids=frozenset(branch_ids)
        )

    def __repr__(self) -> str:
        return f"IntegrationActor({self.name!r})"
