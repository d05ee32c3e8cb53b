"""The daily reconciliation run: yesterday's settlement file of each gateway, picked up from
``PAYMENT_SETTLEMENT_DIR`` (where the gateway's SFTP/report download puts it), reconciled
as ``RECONCILER`` (an integration actor holding ``payments.reconcile`` alone)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.payments.models import Provider, ReconciliationRun
from amanah.payments.policies import PAYMENT_RECONCILE
from amanah.payments.reconciliation import reconciliation_run

logger = logging.getLogger(__name__)

RECONCILER = declare_actor("payments-reconcile", permissions=(PAYMENT_RECONCILE,))


def reconcile_day(day) -> dict:
    folder = getattr(settings, "PAYMENT_SETTLEMENT_DIR", "")
    done: dict[str, str] = {}
    if not folder:
        return done
    for provider in Provider.values:
        path = Path(folder) / f"{provider.lower()}-{day.isoformat()}.csv"
        if not path.is_file():
            done[provider] = "no_file"
            continue
        if ReconciliationRun.objects.filter(provider=provider, settlement_date=day).exists():
            done[provider] = "already"
            continue
        try:
            reconciliation_run(
                actor=RECONCILER,
                provider=provider,
                settlement_date=day,
                file_name=path.name,
                content=path.read_bytes(),
            )
            done[provider] = "reconciled"
        except ServiceError as error:
            logger.warning("payment reconciliation of %s refused: %s", provider, error.code)
            done[provider] = error.code
    return done
