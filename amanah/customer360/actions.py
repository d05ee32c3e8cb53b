"""Role-based quick actions on the Customer 360 page (seed 003 Bab 10.3 B).

Each module registers its actions; a user sees those whose permission their role holds.
The server still checks every action again when it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class QuickAction:
    label: str
    permission: str
    url: Callable[[object], str]  # customer -> URL


_actions: list[QuickAction] = []


def register(action: QuickAction) -> None:
    _actions.append(action)


def actions_for(actor, customer) -> list[tuple[str, str]]:
    from amanah.iam import authz

    granted = authz.permissions_of(actor)
    return [(a.label, a.url(customer)) for a in _actions if a.permission in granted]


def _consent_tab(customer) -> str:
    return reverse("customer360:workspace", args=[customer.pk]) + "?tab=marketing"


register(QuickAction(_("Catat perubahan persetujuan"), "consent.change", _consent_tab))
register(
    QuickAction(
        _("Periksa data ganda"),
        "customer.duplicates.view",
        lambda c: reverse("customers:duplicates"),
    )
)
