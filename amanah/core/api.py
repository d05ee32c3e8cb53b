"""API building blocks: every operation names its permission, and that name does the checking.

``permission(code)`` returns the keyword arguments for a ninja operation: an auth object that
accepts a valid bearer token *and* requires the permission in the token's role, plus an
``x-permission`` entry in the OpenAPI schema. The API's default auth refuses everything, so an
operation that forgets to declare a permission cannot be called at all.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja.security import HttpBearer

from amanah.core import access
from amanah.core.middleware import client_ip


class TokenWithPermission(HttpBearer):
    def __init__(self, permission: str):
        super().__init__()
        self.permission = permission

    def authenticate(self, request, token: str):
        user = access.authenticate_token(token, remote_addr=client_ip(request))
        if user is None:
            return None  # 401
        request.user = user  # first: a refused call still names its caller (sync monitor)
        if not access.has_perm(user, self.permission):
            raise PermissionDenied(self.permission)
        return user


class DenyAll(HttpBearer):
    """The API-wide default: an operation without a declared permission is never reachable."""

    def authenticate(self, request, token: str):
        return None


def permission(code: str) -> dict:
    from amanah.core.permissions import is_declared

    if not is_declared(code):
        raise ValueError(f"API operation declares unknown permission {code!r}")
    return {"auth": TokenWithPermission(code), "openapi_extra": {"x-permission": code}}
