"""Actors that are not a member of staff, and the grants every actor carries.

``IntegrationActor`` is every non-human caller in a production path: a job, a sweep, a
scheduler, a reaction run later, a gateway callback or an import bound to an API key. It holds
exactly the permissions and branches it was given, nothing else. A job or an integration of
the house declares its own with :func:`declare_actor`, beside the code that uses it (module level):
named, registered in ``registry.job_actors`` — the permission matrix page lists each one with
its grants, a deferred job resolves it by name (``core.events``), and every audit row it writes
carries its label (``integration:followup-rotation``), so nothing is anonymous.

``SystemActor`` holds every permission. It is for work no person started and that needs
everything, and only there: the CLI's bootstrap (the first user), migrations and the seeding
that follows them (the default matrix, the workflows), the demo and bench data, tests.
``core/tests/test_actors.py`` fails any other product module that makes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from amanah.core import registry
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


def declare_actor(
    name: str, *, permissions: Iterable[str], all_branches: bool = False
) -> IntegrationActor:
    """The narrow actor of one job or integration, declared beside it (module level) with
    exactly the ``permissions`` its work needs (and every branch's rows only when it works for
    the whole bank); a second declaration of one name stops the start."""
    actor = IntegrationActor(name, permissions=permissions, all_branches=all_branches)
    registry.job_actors.register(name, actor)
    return actor


def declared(name: str) -> IntegrationActor:
    """The declared actor named ``name`` (``registry.NotRegistered`` when there is none)."""
    return registry.job_actors.get(name)


@dataclass(frozen=True)
class DeclaredActor:
    """A declared actor as the permission matrix page shows it."""

    name: str
    label: str  # as the audit trail names it
    app: str | None
    permissions: tuple[str, ...]
    all_branches: bool


def declared_actors() -> list[DeclaredActor]:
    """Every job's and integration's declared actor, by name, with its grants."""
    return [
        DeclaredActor(
            name=name,
            label=actor.username,
            app=registry.job_actors.app_of(name),
            permissions=tuple(sorted(actor.grants.permissions)),
            all_branches=actor.grants.all_branches,
        )
        for name, actor in sorted(registry.job_actors.items())
    ]


def user_or_none(actor):
    """The member of staff behind ``actor``; None for a job, an integration or the system.

    A column naming who did something (``created_by``, ``decided_by`` …) holds people only: a
    non-human actor has no ``pk``, and the audit trail names it instead.
    """
    return actor if getattr(actor, "pk", None) else None
