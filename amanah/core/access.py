"""What the kernel needs to know about the signed-in actor, without importing the identity app.

The identity app registers the hooks below in its contract (``registry.access_hooks``):

- ``"permissions_of"``: fn(actor) -> frozenset of permission codes of the active role;
- ``"authenticate_token"``: fn(raw bearer token) -> the acting user, or None;
  a token whose prefix is registered in ``registry.token_authenticators`` (a system API key,
  ``integrations``) goes to that authenticator instead, with the caller's address — one path
  for every bearer token (``core.api.TokenWithPermission``);
- ``"session_complete"``: fn(user) -> True once the user is fully signed in (role chosen,
  second factor done where required).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from amanah.core.registry import access_hooks, token_authenticators


def permissions_of(actor) -> frozenset[str]:
    return access_hooks.get("permissions_of")(actor)


def has_perm(actor, permission: str) -> bool:
    return permission in permissions_of(actor)


def require(actor, permission: str) -> None:
    if not has_perm(actor, permission):
        raise PermissionDenied(permission)


def authenticate_token(raw: str, *, remote_addr: str | None = None):
    """The actor behind a bearer token, or None (401). The token's prefix chooses who checks it:
    a registered authenticator (system API keys: the caller's address matters), else iam's."""
    for prefix, authenticate in token_authenticators.items():
        if raw.startswith(prefix):
            return authenticate(raw, remote_addr=remote_addr)
    return access_hooks.get("authenticate_token")(raw)


def session_complete(user) -> bool:
    return bool(user is not None and access_hooks.get("session_complete")(user))
