"""Queueing a template to many customers, rendered per customer when it has to be.

``message_queue_template_many(actor=…, customers=…, version=…, context=…, …)`` is what a
campaign batch calls. It looks at the version's placeholders first:

* none needs the customer (``{{campaign.name}}``, ``{{promo.code}}`` only) → the content is
  the same for everyone: it is rendered once and handed to ``queueing.message_queue_many``,
  whose same-content path (one ``INSERT … SELECT`` with the content as parameters) is
  untouched;
* a placeholder needs the customer (``{{customer.first_name}}`` …) → each customer's content
  is rendered in Python with the registered resolvers (``templating.render``: the allow-list,
  HTML-escaping and one-line rules all apply) and staged in its own columns beside the
  address. Customers are loaded ``CHUNK`` (1,000) at a time with one query per chunk; a
  campaign batch is at most that.

Everything else is the many-form's: the same verdicts (one query), statuses and due times,
idempotency key with ``ON CONFLICT DO NOTHING``, counts, one audit row without identifiers,
and a dispatch job when something is due.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.worktime import next_working_moment
from amanah.consent.contactability import window_schedule
from amanah.consent.contract import Reason, contactability
from amanah.core import registry
from amanah.customers.models import Customer
from amanah.messaging import addresses, templating
from amanah.messaging.models import MessageStatus, TemplateVersion, VersionStatus
from amanah.messaging.queueing import _dispatch_soon, _validate, _verdicts, message_queue_many

CHUNK = 1000


def needs_customer(version: TemplateVersion) -> bool:
    """Whether any placeholder of the version (subject, text or HTML) reads the customer."""
    names = {
        name
        for body in (version.subject, version.text, version.html)
        for name in templating.placeholders(body)
    }
    return any(
        name in registry.template_variables
        and registry.template_variables.get(name).needs == "customer"
        for name in names
    )


CREATE_STAGING = """
    CREATE TEMPORARY TABLE messaging_staging_personal (
        customer_id uuid, address_sealed text, address_masked text,
        status text, cancel_reason text, next_attempt_at timestamptz,
        subject text, text text, html text, parameters jsonb
    ) ON COMMIT DROP
"""

MOVE_STAGED = """
    WITH inserted AS (
        INSERT INTO messaging_message (
            id, channel, purpose, customer_id, staff_user_id, template_key, template_version,
            subject, text, html, provider_template, language, parameters, category, media_url,
            address_sealed, address_masked, source, source_id, step, status, cancel_reason,
            created_at, status_changed_at, next_attempt_at, attempts, last_error_code,
            provider, provider_message_id)
        SELECT gen_random_uuid(), %(channel)s, %(purpose)s, s.customer_id, NULL,
               %(template_key)s, %(template_version)s, s.subject, s.text, s.html,
               %(provider_template)s, %(language)s, s.parameters, %(category)s,
               %(media_url)s, s.address_sealed, s.address_masked, %(source)s, %(source_id)s,
               %(step)s, s.status, s.cancel_reason, %(at)s, %(at)s, s.next_attempt_at, 0, '',
               '', ''
          FROM messaging_staging_personal s
        ON CONFLICT DO NOTHING
        RETURNING status, cancel_reason, next_attempt_at > %(at)s AS waits)
    SELECT status, cancel_reason, waits, count(*) FROM inserted GROUP BY 1, 2, 3
"""

STAGE_COLUMNS = (
    "customer_id, address_sealed, address_masked, status, cancel_reason, next_attempt_at,"
    " subject, text, html, parameters"
)


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
    key, number = version.template.key, version.number
    if not needs_customer(version):
        return message_queue_many(
            actor=actor,
            customers=customers,
            channel=channel,
            purpose=purpose,
            rendered=templating.render(version, context),
            source=source,
            source_id=source_id,
            step=step,
            template_key=key,
            template_version=number,
            at=at,
        )
    _validate(channel, purpose, source, to_staff=False)
    at = at or timezone.now()
    opens: dict[str, datetime] = {}
    counts = {"queued": 0, "waiting": 0, "cancelled": {}, "no_address": 0, "seen": 0}
    first: dict | None = None
    with connection.cursor() as cursor:
        cursor.execute(CREATE_STAGING)
        pending: list[tuple] = []
        for pk, address, reason, zone in _verdicts(customers, channel, purpose, at):
            counts["seen"] += 1
            if not address:
                counts["no_address"] += 1
                continue
            status, due = MessageStatus.QUEUED, at
            if reason == Reason.OUTSIDE_WINDOW:
                if zone not in opens:
                    opens[zone] = next_working_moment(window_schedule(purpose, zone), at)
                due = opens[zone]
            elif reason == Reason.FREQUENCY_CAP:
                due = contactability(Customer(pk=pk), purpose, channel, at).next_window_at or at
            elif reason:
                status = MessageStatus.CANCELLED
            sealed, masked = addresses.seal(address), addresses.mask(channel, address)
            pending.append((pk, sealed, masked, status, "" if status == "QUEUED" else reason, due))
            if len(pending) >= CHUNK:
                first = _stage_rendered(cursor, pending, version, context) or first
        first = _stage_rendered(cursor, pending, version, context) or first
        shared = first or {}
        params = {
            "channel": channel,
            "purpose": purpose,
            "template_key": key,
            "template_version": number,
            "provider_template": shared.get("provider_template", ""),
            "language": shared.get("language", version.template.language),
            "category": shared.get("category", ""),
            "media_url": shared.get("media_url", ""),
            "source": source,
            "source_id": str(source_id)[:64],
            "step": step[:64],
            "at": at,
        }
        cursor.execute(MOVE_STAGED, params)
        for status, reason, waits, count in cursor.fetchall():
            if status == MessageStatus.CANCELLED:
                counts["cancelled"][reason] = counts["cancelled"].get(reason, 0) + count
            else:
                counts["waiting" if waits else "queued"] += count
        cursor.execute("DROP TABLE messaging_staging_personal")
    inserted = counts["queued"] + counts["waiting"] + sum(counts["cancelled"].values())
    counts["already_queued"] = counts.pop("seen") - counts["no_address"] - inserted
    if counts["queued"] or counts["waiting"]:
        _dispatch_soon([channel])
    audit.record(
        actor=actor,
        action=AuditAction.QUEUE_MESSAGES,
        object_type="messaging.Message",
        object_id=f"{source}:{params['source_id']}",
        meta={
            "channel": channel,
            "purpose": purpose,
            "source": source,
            "step": step,
            "personalised": True,
            **counts,
        },
    )
    return counts


def _stage_rendered(cursor, rows: list[tuple], version, context: dict) -> dict | None:
    """Render each row's customer (one query for the chunk) and COPY the chunk; returns the
    first rendering's shared fields (provider template, language …) or None for no rows."""
    if not rows:
        return None
    people = Customer.objects.in_bulk([row[0] for row in rows])
    first = None
    with cursor.copy(f"COPY messaging_staging_personal ({STAGE_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            rendered = templating.render(version, {**context, "customer": people[row[0]]})
            if first is None:
                first = {
                    "provider_template": rendered.provider_template,
                    "language": rendered.language,
                    "category": rendered.category,
                    "media_url": rendered.media_url,
                }
            copy.write_row(
                (
                    *row,
                    rendered.subject[:255],
                    rendered.text,
                    rendered.html,
                    json.dumps(list(rendered.parameters)),
                )
            )
    rows.clear()
    return first


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
