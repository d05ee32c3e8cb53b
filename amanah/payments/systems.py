"""The gateways' integrations systems: whose ``IntegrationActor`` receives and applies a
gateway's callbacks, its status answers and what they move.

Each configured gateway names its system (``PAYMENT_GATEWAYS[provider]["system"]``: by
default ``midtrans`` / ``xendit``). Its actor exists only while the system has a usable API
key, holds ``payments.callback.apply`` and *only* payment grants; it is read once per
callback at the endpoint and once per batch by the job. An owner that applies a settled
payment (a water bill, a RAB installment) narrows that actor further to its own few grants
(``settlement_applier``): never an actor holding every permission.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied

from amanah.core.actors import IntegrationActor
from amanah.core.permissions import is_declared
from amanah.core.sqlparams import bound_cursor
from amanah.iam import authz
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY

logger = logging.getLogger(__name__)

_SYSTEM = """
SELECT s.name, s.permissions, s.all_branches, s.allowed_networks,
       EXISTS (SELECT 1 FROM integrations_systemkey k
                WHERE k.system_id = s.id AND k.revoked_at IS NULL AND k.expires_at > now())
  FROM integrations_externalsystem s
 WHERE s.name = %s
"""


@dataclass(frozen=True)
class GatewaySystem:
    name: str
    permissions: list
    all_branches: bool
    allowed_networks: list
    has_usable_key: bool


def gateway_actor(system_name: str) -> tuple[GatewaySystem | None, IntegrationActor | None, str]:
    """The gateway's integrations system and its ``IntegrationActor``, or why not: the system
    must exist, hold a usable key, ``payments.callback.apply`` and payment grants only. One
    hand-written statement (the endpoint asks it for every callback, and the ORM's building
    of it cost more CPU than the rest of the endpoint; the job asks once per batch). The
    caller's address is the endpoint's business (``webhooks.integration_actor``)."""
    row = None
    if system_name:
        with bound_cursor() as cursor:  # planned once per connection
            cursor.execute(_SYSTEM, [system_name], prepare=True)
            row = cursor.fetchone()
    if row is None:
        return None, None, "no_integration"
    system = GatewaySystem(*row)
    if not system.has_usable_key:
        return system, None, "no_usable_key"
    permissions = [p for p in system.permissions if is_declared(p)]
    if PAYMENT_CALLBACK_APPLY not in permissions or any(
        not p.startswith("payments.") for p in permissions
    ):
        return system, None, "grants_not_payment_only"
    actor = IntegrationActor(system.name, permissions=permissions, all_branches=system.all_branches)
    return system, actor, ""


def usable_actors() -> dict[str, IntegrationActor]:
    """Each configured gateway's actor, when its system is usable (one query a gateway)."""
    actors = {}
    for provider, config in settings.PAYMENT_GATEWAYS.items():
        _system, actor, why = gateway_actor(config.get("system", ""))
        if actor is None:
            logger.warning("payment callbacks of %s wait: integration refused (%s)", provider, why)
            continue
        actors[provider] = actor
    return actors


def settlement_applier(actor, permissions) -> IntegrationActor:
    """The actor an owner applies a settled payment with (``payments.payment_settled`` /
    ``payments_settled`` came with ``actor``): the gateway's integrations system — the same
    name in the audit trail — holding only ``permissions``, the owner's payment, billing and
    ledger grants it needs to apply it, in every branch. Only a gateway's actor (an
    ``IntegrationActor`` holding ``payments.callback.apply``) is narrowed; anything else is
    refused."""
    if not isinstance(actor, IntegrationActor) or not authz.has_perm(actor, PAYMENT_CALLBACK_APPLY):
        raise PermissionDenied(PAYMENT_CALLBACK_APPLY)
    return IntegrationActor(actor.name, permissions=permissions, all_branches=True)
