"""The pelanggan of an incident's area told through the messaging hub, in batches.

One batch is the next ``UTILITY_INCIDENT_NOTICE_BATCH`` active connections of the area by
customer id after a cursor; the job (``utility.tasks.incident_notice_job``) runs a batch and
re-defers itself with the next cursor. Each pelanggan is told at most once per incident and
kind (OPENED / RESOLVED): the outbox's idempotency key is (source SYSTEM, ``incident:<id>``,
the kind, channel, customer) and each pelanggan gets exactly one channel — messaging's one
rule (``customer_channel``: the pelanggan's preference for SERVICE messages, else SMS,
WhatsApp, e-mail, the first with an address) — so a batch run twice (a
retried job, a killed worker) queues nothing new. Contactability is the one published rule:
``message_queue_many`` asks it for every pelanggan when queuing (a refusal is kept, cancelled,
with its reason) and the outbox asks again when sending.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.consent.contract import preferred_channels
from amanah.core.actors import declare_actor
from amanah.customers.models import Customer
from amanah.messaging.contract import (
    MessageSource,
    Purpose,
    Rendered,
    customer_channel,
    message_queue_many,
)
from amanah.utility.incidents.models import AreaIncident
from amanah.utility.incidents.services import OPENED, RESOLVED, affected_connections

logger = logging.getLogger(__name__)
# The incident notices: messages to the customers of an area (the hub asks the contact rule).
NOTIFIER = declare_actor("utility-incident-notices", permissions=())

TEMPLATES = {
    OPENED: gettext_noop(
        "PDAM: Pelanggan yth., sedang terjadi gangguan (%(category)s) di wilayah %(area)s "
        "sejak %(since)s.%(details)s Petugas kami sedang menanganinya. Mohon maaf atas "
        "ketidaknyamanannya. Ref %(number)s"
    ),
    RESOLVED: gettext_noop(
        "PDAM: Pelanggan yth., gangguan (%(category)s) di wilayah %(area)s telah ditangani "
        "pada %(at)s. Terima kasih atas kesabaran Anda. Ref %(number)s"
    ),
}
# What a supervisor who opened the incident by hand told us (the threshold knows neither).
CAUSE = gettext_noop(" Penyebab: %(cause)s.")
RESTORE = gettext_noop(" Perkiraan pulih: %(restore)s.")
SUBJECTS = {
    OPENED: gettext_noop("Gangguan layanan air di wilayah %(area)s"),
    RESOLVED: gettext_noop("Gangguan layanan air di wilayah %(area)s telah ditangani"),
}


@dataclass(frozen=True)
class Batch:
    told: int  # queued or waiting for the contact window
    refused: int  # cancelled by the contactability rule (kept with the reason)
    already: int  # told before (a batch run again)
    next_after: str | None  # the next batch's cursor (a customer id); None: the area is done


def _category_name(code: str) -> str:
    from amanah.cases.models import CaseCategory

    name = CaseCategory.objects.filter(code=code).values_list("name", flat=True).first()
    return (name or code).lower()


def _when(moment) -> str:
    """A moment as the pelanggan read it: the deployment's zone, named (WIB)."""
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M %Z") if moment else ""


def _details(incident: AreaIncident) -> str:
    details = _(CAUSE) % {"cause": incident.cause} if incident.cause else ""
    if incident.expected_restore_at:
        details += _(RESTORE) % {"restore": _when(incident.expected_restore_at)}
    return details


def render(incident: AreaIncident, kind: str) -> Rendered:
    """The notice in Indonesian (the pelanggan's language in this deployment)."""
    with translation.override("id"):
        when = _when(incident.resolved_at if kind == RESOLVED else incident.opened_at)
        values = {
            "category": _category_name(incident.category),
            "area": incident.area.name,
            "since": when,
            "at": when,
            "details": _details(incident),
            "number": incident.number,
        }
        return Rendered(subject=_(SUBJECTS[kind]) % values, text=_(TEMPLATES[kind]) % values)


def _queue(customers, channel: str, incident: AreaIncident, kind: str, rendered) -> dict:
    return message_queue_many(
        actor=NOTIFIER,
        customers=customers,
        channel=channel,
        purpose=Purpose.SERVICE,
        source=MessageSource.SYSTEM,
        source_id=f"incident:{incident.pk}",
        step=kind,
        rendered=rendered,
    )


def _by_channel(customer_ids: list) -> dict[str, list]:
    """The batch's pelanggan grouped by the channel each is told on (one each, or none
    without any address)."""
    preferred = preferred_channels(customer_ids, Purpose.SERVICE)
    grouped: dict[str, list] = defaultdict(list)
    for customer in Customer.objects.filter(pk__in=customer_ids):
        channel = customer_channel(
            customer, Purpose.SERVICE, preferred=preferred.get(customer.pk, "")
        )
        if channel:
            grouped[channel].append(customer.pk)
    return grouped


@transaction.atomic
def incident_notify_batch(*, incident_id: int, kind: str, after: str = "") -> Batch:
    """Tell the next batch of the area's pelanggan (see the module); idempotent."""
    if kind not in TEMPLATES:
        raise ValueError(f"unknown notice kind {kind!r}")
    incident = AreaIncident.objects.select_related("area").filter(pk=incident_id).first()
    if incident is None or (kind == RESOLVED and incident.resolved_at is None):
        return Batch(0, 0, 0, None)
    size = settings.UTILITY_INCIDENT_NOTICE_BATCH
    rows = affected_connections(incident)
    if after:
        rows = rows.filter(customer_id__gt=after)
    ids = list(rows.order_by("customer_id").values_list("customer_id", flat=True)[:size])
    if not ids:
        return Batch(0, 0, 0, None)
    rendered = render(incident, kind)
    told = refused = already = 0
    for channel, customer_ids in _by_channel(ids).items():
        counts = _queue(
            Customer.objects.filter(pk__in=customer_ids), channel, incident, kind, rendered
        )
        told += counts["queued"] + counts["waiting"]
        refused += sum(counts["cancelled"].values())
        already += counts["already_queued"]
    logger.info(
        "utility: incident notices batch kind=%s told=%s refused=%s already=%s",
        kind,
        told,
        refused,
        already,
    )
    return Batch(told, refused, already, str(ids[-1]) if len(ids) == size else None)
