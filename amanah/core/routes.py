"""Inspection of every route: which permission each URL and API operation declares."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from amanah.core import profiles
from amanah.core.permissions import PUBLIC, SIGNED_IN, SIGNED_REQUEST, is_declared


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    permission: str | None
    app: str | None = None  # the app whose module holds the view (deployment profiles)


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def url_routes(urlconf=None) -> list[Route]:
    """Every Django URL except the API's operations (those are checked in the schema)."""
    routes = []
    for pattern, namespace, entry in _walk(get_resolver(urlconf).url_patterns):
        if entry.callback.__qualname__.startswith("PathView."):
            continue  # an API operation: its permission is checked in the OpenAPI schema
        name = f"{namespace}{entry.name}" if entry.name else ""
        routes.append(
            Route(
                pattern,
                name,
                getattr(entry.callback, "required_permission", None),
                profiles.app_of_view(entry.callback),
            )
        )
    return routes


def undeclared(routes: list[Route]) -> list[Route]:
    return [
        r
        for r in routes
        if r.permission is None
        or (
            r.permission not in (PUBLIC, SIGNED_IN, SIGNED_REQUEST)
            and not is_declared(r.permission)
        )
    ]


def api_operations(schema: dict) -> list[tuple[str, str, str | None]]:
    return [
        (method.upper(), path, op.get("x-permission"))
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
    ]


def api_undeclared(schema: dict) -> list[tuple[str, str, str | None]]:
    return [op for op in api_operations(schema) if not op[2] or not is_declared(op[2])]
