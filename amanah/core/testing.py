"""The permission checks every view gets (after NetBox's ViewTestCases).

A ``ViewCase`` names a route, how to build its URL arguments from a small world of branches
and users, and (for object pages) an object outside the actor's scope. One parametrized test
then checks: anonymous → login, signed in without the permission → 403, permitted → OK,
out of scope → 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey


@dataclass(frozen=True)
class ViewCase:
    url_name: str
    permission: str
    kwargs: Callable[[dict], dict] = field(default=lambda world: {})
    out_of_scope: Callable[[dict], dict] | None = None
    method: str = "get"
    data: Callable[[dict], dict] = field(default=lambda world: {})
    ok_status: tuple[int, ...] = (200,)
    role: str | None = None  # the permitted role, when the least privileged holder won't do
    # URL arguments that depend on the signed-in user (e.g. their own notification)
    own_kwargs: Callable[[dict, object], dict] | None = None

    def permitted_role(self) -> str:
        return self.role or role_with(self.permission)

    @property
    def id(self) -> str:
        return f"{self.method}:{self.url_name}"


def role_with(permission: str) -> str:
    """A role holding ``permission`` in the default matrix (the least privileged first)."""
    order = [
        RoleKey.AGENT,
        RoleKey.SUPERVISOR,
        RoleKey.RM,
        RoleKey.MARKETING,
        RoleKey.DIRECTOR,
        RoleKey.COMPLIANCE,
        RoleKey.ADMIN,
    ]
    holders = catalogue()[permission].default_roles
    return next(str(r) for r in order if str(r) in holders)
