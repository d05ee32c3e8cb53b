"""Queueing a template to many customers, rendered per customer when it has to be.

``message_queue_template_many(actor=…, customers=…, version=…, context=…, …)`` is what a
campaign batch calls. It looks at the version's placeholders first:

* none needs the customer (``{{campaign.name}}``, ``{{promo.code}}`` only) → the content is
  the same for everyone: it is rendered once and handed to ``queueing.message_queue_many``,
  whose same-content path (one ``INSERT … SELECT`` with the content as parameters) is
  untouched;
* a placeholder needs the customer (``{{customer.first_name}}`` …) → each customer's values
  are resolved with the registered resolvers and the content rendered in Python
  (``templating.render_each``: the allow-list, HTML-escaping and one-line rules all apply),
  once per distinct set of values (customers named alike share it), through
  ``message_queue_many``'s ``personalise``: it asks for the customers it staged, a thousand
  at a time (a campaign batch is at most that), and joins each one's content to the staged
  address.

Everything else is the many-form's own: verdicts, statuses and due times, idempotency key,
counts, one audit row without identifiers, and a dispatch job when something is due.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amanah.consent.contract import reason_label
from amanah.core.errors import ServiceError
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.customers.models import Customer
from amanah.messaging import templating
from amanah.messaging.content import Rendered
from amanah.messaging.models import (
    Message,
    MessageSource,
    MessageStatus,
    TemplateVersion,
    VersionStatus,
)
from amanah.messaging.queueing import message_queue, message_queue_many


def needs_customer(version: TemplateVersion) -> bool:
    """Whether any placeholder of the version (subject, text, HTML, a WhatsApp header or
    button link) reads the customer."""
    return bool(templating.customer_placeholders(version))


@transaction.atomic
def message_queue_template_many(
    *,
    actor,
    customers: QuerySet[Customer],
    version: TemplateVersion,
    context: dict,
    channel: str,
    purpose: str,
    source: str,
    source_id: str,
    step: str = "",
    at: datetime | None = None,
) -> dict:
    """Queue ``version`` rendered with ``context`` (plus each ``customer``) to ``customers``.

    Returns the counts of ``message_queue_many``. ``version`` must be of ``channel`` (a
    sender got it from ``templating.approved_version``); a placeholder whose context object
    is missing is refused before anything is written (``context_missing``).
    """
    if needs_customer(version):

        def render_each(customer_ids: list[str]) -> dict[str, Rendered]:
            # The ids as one parameter (``core.sqlparams``), not a thousand ``IN`` values.
            ids = uuid_rows(id_text(customer_ids))
            people = Customer.objects.filter(pk__in=ids).in_bulk()
            each = templating.render_each(
                version, context, (people[UUID(pk)] for pk in customer_ids)
            )
            return dict(zip(customer_ids, each, strict=True))

        content = {"personalise": render_each}
    else:
        content = {"rendered": templating.render(version, context)}
    return message_queue_many(
        actor=actor,
        customers=customers,
        channel=channel,
        purpose=purpose,
        source=source,
        source_id=source_id,
        step=step,
        template_key=version.template.key,
        template_version=version.number,
        at=at,
        **content,
    )


def approved_version_number(template_key: str, channel: str, number: int) -> TemplateVersion:
    """Version ``number`` of a template, if it was approved (the approved one, or one retired
    because a newer one was approved since): what a sender that froze a version at its start
    (a campaign) keeps sending. Anything else is ``TemplateNotApproved``."""
    version = (
        TemplateVersion.objects.select_related("template")
        .filter(
            template__key=template_key,
            template__channel=channel,
            number=number,
            status__in=[VersionStatus.APPROVED, VersionStatus.RETIRED],
            decided_at__isnull=False,
        )
        .first()
    )
    if version is None:
        raise templating.TemplateNotApproved(template_key, channel)
    return version


def approved_template(template_key: str, channel: str) -> TemplateVersion:
    """The approved version a person's action sends, or the refusal that names the template
    (``no_template``) — the action must not count as done without its message."""
    try:
        return templating.approved_version(template_key, channel)
    except templating.TemplateNotApproved:
        raise ServiceError(
            "no_template",
            _("Templat %(key)s (%(channel)s) belum disetujui.")
            % {"key": template_key, "channel": channel},
        ) from None


def message_queue_template(
    *,
    actor,
    customer: Customer,
    version: TemplateVersion,
    context: dict,
    channel: str,
    purpose: str,
    source_id: str,
    step: str,
    at: datetime | None = None,
) -> Message:
    """One customer's message from ``version`` for a person's action (source MANUAL: an NBA
    accepted, a recovery offer sent, a merchant recommended). A message the outbox cancels at
    once (contactability) is a refusal with the reason (``not_contactable``), so the caller's
    transaction — the action itself — is rolled back with it."""
    message = message_queue(
        actor=actor,
        channel=channel,
        purpose=purpose,
        rendered=templating.render(version, {**context, "customer": customer}),
        source=MessageSource.MANUAL,
        source_id=source_id,
        step=step,
        customer=customer,
        template_key=version.template.key,
        template_version=version.number,
        at=at,
    )
    if message.status == MessageStatus.CANCELLED:
        raise ServiceError(
            "not_contactable",
            _("Pesan tidak dapat dikirim: %s.") % reason_label(message.cancel_reason),
        )
    return message
