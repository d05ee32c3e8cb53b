"""Role-based quick actions on the Customer 360 page (seed 003 Bab 10.3 B).

Each app registers its actions in its contract (``registry.quick_actions``); a user sees
those whose permission their role holds. The server still checks every action when it is used.
"""

from __future__ import annotations

from django.urls import reverse

from amanah.core import registry
from amanah.iam import authz


def actions_for(actor, customer) -> list[tuple[str, str]]:
    granted = authz.permissions_of(actor)
    return [
        (action.label, action.url(customer))
        for _key, action in registry.quick_actions.items()
        if action.permission in granted
    ]


def consent_tab(customer) -> str:
    return reverse("customer360:workspace", args=[customer.pk]) + "?tab=marketing"
