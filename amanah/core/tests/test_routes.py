"""Deny by default: every URL and every API operation declares the permission it needs."""

import pytest
from django.http import HttpResponse
from django.urls import path

from amanah.api import api
from amanah.core import routes
from amanah.core.permissions import PUBLIC, SIGNED_IN, SIGNED_REQUEST
from amanah.core.views import requires


def test_every_url_declares_a_known_permission():
    found = routes.url_routes()
    assert len(found) > 15
    assert routes.undeclared(found) == []


def test_every_api_operation_declares_a_known_permission():
    schema = api.get_openapi_schema()
    operations = routes.api_operations(schema)
    assert len(operations) >= 4
    assert routes.api_undeclared(schema) == []


def test_public_routes_are_only_the_expected_ones():
    public = sorted(r.name for r in routes.url_routes() if r.permission == PUBLIC)
    # The tracking links are opened from a customer's mail client: signed, never signed in.
    # The Web Push service worker is a fixed script the browser re-fetches to check for updates.
    # A survey's answer page: a signed, expiring, single-use link; its thank-you page.
    # The FAQ: published articles marked public, nothing internal.
    # A merchant promo's link in a customer's WhatsApp: signed per recommendation.
    # A WhatsApp template header's medium: signed per asset, fetched by the provider.
    assert public == [
        "consent:unsubscribe",
        "core:health",
        "core:set_language",
        "faq:faq",
        "iam:login",
        "insight:merchant_click",
        "messaging:media_file",
        "messaging:push_worker",
        "messaging:track_click",
        "messaging:track_open",
        "surveys:respond",
        "surveys:thanks",
    ]
    signed_in = sorted(r.name for r in routes.url_routes() if r.permission == SIGNED_IN)
    # Own things only: a member of staff's own session, profile and browsers (Web Push); the
    # header search box, which only redirects to pages that check their own permission.
    assert signed_in == [
        "cases:find",
        "iam:logout",
        "iam:mfa",
        "iam:profile",
        "iam:role_switch",
        "messaging:push_settings",
        "messaging:push_subscribe",
        "messaging:push_unsubscribe",
    ]
    # Machines' routes: the caller's signature is the permission (checked in the view).
    signed = sorted(r.name for r in routes.url_routes() if r.permission == SIGNED_REQUEST)
    assert signed == [
        "payment_webhooks:midtrans",
        "payment_webhooks:xendit",
        "webhooks:sms",
        "webhooks:whatsapp",
    ]


# The checker itself must catch a route that forgets its permission.
def _bare_view(request):
    return HttpResponse("no declaration")


@requires("audit.view")
def _declared_view(request):
    return HttpResponse("declared")


urlpatterns = [
    path("bare/", _bare_view, name="bare"),
    path("declared/", _declared_view, name="declared"),
]


def test_checker_reports_a_route_without_permission():
    found = routes.url_routes(__name__)
    assert [r.name for r in routes.undeclared(found)] == ["bare"]


def test_checker_reports_api_operation_without_permission():
    schema = {
        "paths": {
            "/x": {"get": {}},
            "/y": {"get": {"x-permission": "audit.view"}},
            "/z": {"post": {"x-permission": "no.such.permission"}},
        }
    }
    assert routes.api_undeclared(schema) == [
        ("GET", "/x", None),
        ("POST", "/z", "no.such.permission"),
    ]


def test_view_with_unknown_permission_cannot_even_be_declared():
    with pytest.raises(ValueError):
        requires("no.such.permission")
