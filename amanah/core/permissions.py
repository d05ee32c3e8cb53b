"""The catalogue of named permissions.

Each app declares its permissions in its ``policies.py`` with :func:`declare`, together with the
roles that hold it by default (seed 003 Bab 6.3–6.4). The defaults are copied into the editable
matrix once, the first time a permission is seen (``iam.services.rbac_seed_defaults``); after
that only ADMIN's edits count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise

from amanah.core.roles import RoleKey


@dataclass(frozen=True)
class Permission:
    code: str
    label: str | Promise
    default_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def group(self) -> str:
        return self.code.split(".", 1)[0]


_catalogue: dict[str, Permission] = {}


def declare(code: str, label: str | Promise, *, default_roles: tuple[RoleKey, ...] = ()) -> str:
    """Declare a permission; returns its code so policies can keep it as a constant."""
    if code in _catalogue:
        raise ValueError(f"permission {code!r} is declared twice")
    _catalogue[code] = Permission(code, label, frozenset(str(r) for r in default_roles))
    return code


def catalogue() -> dict[str, Permission]:
    return dict(sorted(_catalogue.items()))


def is_declared(code: str) -> bool:
    return code in _catalogue


# Marks a route that needs no permission at all (login page, language switch, health check).
PUBLIC = "public"
# Marks a route for any signed-in user, whatever the role (MFA step, own profile, logout).
SIGNED_IN = "signed-in"
# Marks a route a machine calls (a provider's webhook): no session and no role, the caller
# proves itself with a signature (or shared token) that the view checks over the raw request
# before reading anything else. Anything unsigned or badly signed is refused (401/403).
SIGNED_REQUEST = "signed-request"
