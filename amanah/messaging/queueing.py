"""Putting messages into the outbox: one (``message_queue``) or many at once
(``message_queue_many``), idempotent and contact-checked.

Contactability (``consent.contract``) is asked at queue time with the moment of queueing:

* allowed → ``QUEUED``, due now;
* only outside the contact window → ``QUEUED``, due when the customer's window next opens;
* refused (no consent, do-not-contact, a sensitive case …) → a ``CANCELLED`` row carrying the
  reason;
* a channel the deployment has not configured (no adapter, ``providers.configured``) → a
  ``FAILED`` row, ``channel_not_configured`` (the many-forms' rows: by the dispatcher, at once).

We keep the row rather than dropping the message: the Komunikasi tab and campaign analytics
show *why* a customer got nothing, and the idempotency key stops a re-run of the same step
from queueing it later. A new step (or source id) is a new message.

Messages to staff (``staff_user``, purpose STAFF) have no contact rule.

The idempotency key ``(source, source_id, customer, staff_user, channel, step)`` is a unique
index; both forms insert with ``ON CONFLICT DO NOTHING``, so queueing twice inserts once
(the many-form inserts a new key with a plain INSERT under a savepoint, and falls back to
``ON CONFLICT`` should it meet a duplicate after all).
The many-form never saves one ORM row at a time: it streams the customers and their verdicts
from one query while sealing the addresses of the rows already received (the server and this
process work side by side), spools them as COPY text, copies them into a temporary table and
moves them with one ``INSERT … SELECT``. Each call writes one audit row with counts, no
addresses.
Callers are services that have already checked their own permission (a case, a campaign);
the actor is who the audit row names.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.string import TextLoader

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import next_working_moment
from amanah.consent.contactability import window_schedule
from amanah.consent.contract import Reason, contactability, with_contact_checks
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer
from amanah.messaging import addresses, providers
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import Message, MessageSource, MessageStatus

# Where each channel finds a customer's address.
CUSTOMER_ADDRESS = {"EMAIL": "email", "WHATSAPP": "phone_e164", "SMS": "phone_e164"}


# The building blocks of a message row, public: both forms here and the many-form for staff
# (``staff.staff_queue_many``) use them.


def validate_message(channel: str, purpose: str, source: str, *, to_staff: bool) -> None:
    """Channel, purpose and source known, and the recipient of the right kind."""
    if channel not in Channel.values:
        raise ServiceError("unknown_channel", _("Kanal tidak dikenal."), field="channel")
    if purpose not in Purpose.values:
        raise ServiceError("unknown_purpose", _("Tujuan pesan tidak dikenal."), field="purpose")
    if source not in MessageSource.values:
        raise ServiceError("unknown_source", _("Sumber pesan tidak dikenal."), field="source")
    if to_staff != (purpose == Purpose.STAFF) or (channel == Channel.IN_APP and not to_staff):
        raise ServiceError(
            "wrong_recipient", _("Pesan staf hanya untuk staf, pesan nasabah untuk nasabah.")
        )
    if channel not in CUSTOMER_ADDRESS and not to_staff:
        raise ServiceError("channel_unavailable", _("Kanal ini belum tersedia untuk nasabah."))


def content_fields(rendered: Rendered) -> dict:
    """The row's content fields from a rendered template."""
    return {
        "subject": rendered.subject[:255],
        "text": rendered.text,
        "html": rendered.html,
        "provider_template": rendered.provider_template,
        "language": rendered.language,
        "parameters": list(rendered.parameters),
        "category": rendered.category,
        "media_url": rendered.media_url,
    }


def staff_address(channel: str, user) -> str:
    """A member of staff's address: the e-mail, else (IN_APP, PUSH) the user id."""
    return user.email if channel == Channel.EMAIL else str(user.pk)


def dispatch_channels_soon(channels) -> None:
    """A dispatch job for each channel, unless one is waiting (``tasks.dispatch_soon``)."""
    from amanah.messaging.tasks import dispatch_soon

    for channel in sorted(set(channels)):
        dispatch_soon(channel)


@transaction.atomic
def message_queue(
    *,
    actor,
    channel: str,
    purpose: str,
    rendered: Rendered,
    source: str,
    source_id: str,
    step: str = "",
    customer: Customer | None = None,
    staff_user=None,
    address: str | None = None,
    template_key: str = "",
    template_version: int | None = None,
    at: datetime | None = None,
    attachments: list[dict] | tuple = (),
) -> Message:
    """Queue one message (see the module docstring); returns its row — the existing one when
    the same key was queued before."""
    if (customer is None) == (staff_user is None):
        raise ServiceError("wrong_recipient", _("Tentukan satu penerima: nasabah atau staf."))
    validate_message(channel, purpose, source, to_staff=staff_user is not None)
    at = at or timezone.now()
    if address is None:
        address = (
            getattr(customer, CUSTOMER_ADDRESS[channel])
            if customer is not None
            else staff_address(channel, staff_user)
        )
    if not address:
        raise ServiceError("no_address", _("Penerima tidak punya alamat untuk kanal ini."))
    status, due, reason, error = MessageStatus.QUEUED, at, "", ""
    if customer is not None:
        verdict = contactability(customer, purpose, channel, at)
        if verdict.must_wait:
            due = verdict.next_window_at
        elif verdict.refused:
            status, reason = MessageStatus.CANCELLED, verdict.reason
    if status == MessageStatus.QUEUED and not providers.configured(channel):
        # No adapter: it would wait for ever. It fails now, visibly (the dispatcher does the
        # same to the many-forms' rows).
        status, error = MessageStatus.FAILED, providers.NOT_CONFIGURED
    key = {
        "source": source,
        "source_id": str(source_id)[:64],
        "step": step[:64],
        "channel": channel,
        "customer": customer,
        "staff_user": staff_user,
    }
    inserted = Message.objects.bulk_create(
        [
            Message(
                **key,
                purpose=purpose,
                template_key=template_key,
                template_version=template_version,
                **content_fields(rendered),
                attachments=list(attachments),  # references (messaging.attachments)
                address_sealed=addresses.seal(address),
                address_masked=addresses.mask(channel, address),
                status=status,
                cancel_reason=reason,
                last_error_code=error,
                created_at=at,
                status_changed_at=at,
                next_attempt_at=due,
            )
        ],
        ignore_conflicts=True,
    )
    message = Message.objects.get(**key)
    is_new = message.pk == inserted[0].pk
    if is_new and status == MessageStatus.QUEUED:
        dispatch_channels_soon([channel])
    audit.record(
        actor=actor,
        action=AuditAction.QUEUE_MESSAGES,
        obj=message,
        meta={
            "channel": channel,
            "purpose": purpose,
            "source": source,
            "queued": int(is_new and status == MessageStatus.QUEUED),
            "cancelled": int(is_new and status == MessageStatus.CANCELLED),
            "failed": int(is_new and status == MessageStatus.FAILED),
            "reason": reason or error,
            "already_queued": int(not is_new),
        },
    )
    return message


CREATE_STAGING = """
    CREATE TEMPORARY TABLE messaging_staging (
        customer_id uuid, address_sealed text, address_masked text,
        status text, cancel_reason text, next_attempt_at timestamptz
    ) ON COMMIT DROP
"""

# Staged per customer for a personalised send (``personalise``): its own content.
CREATE_PERSONAL = """
    CREATE TEMPORARY TABLE messaging_personal (
        customer_id uuid, subject text, text text, html text, parameters jsonb
    ) ON COMMIT DROP
"""


def _insert_staged(personal: bool) -> str:
    """The INSERT … SELECT of the staged rows: the content is the call's (parameters), or
    each customer's own, joined from ``messaging_personal``. In customer order: the unique
    key (source, source id, customer …) and the customer index then grow in order instead of
    at random places (1M rows: 66.7 → 52.7 s, docs/benchmarks.md)."""
    if personal:
        content, parameters = "p.subject, p.text, p.html", "p.parameters"
        source = "messaging_staging s JOIN messaging_personal p USING (customer_id)"
    else:
        content, parameters = "%(subject)s, %(text)s, %(html)s", "%(parameters)s::jsonb"
        source = "messaging_staging s"
    return f"""
    INSERT INTO messaging_message (
        id, channel, purpose, customer_id, staff_user_id, template_key, template_version,
        subject, text, html, provider_template, language, parameters, category, media_url,
        address_sealed, address_masked, source, source_id, step, status, cancel_reason,
        created_at, status_changed_at, next_attempt_at, attempts, last_error_code,
        provider, provider_message_id)
    SELECT gen_random_uuid(), %(channel)s, %(purpose)s, s.customer_id, NULL,
           %(template_key)s, %(template_version)s, {content},
           %(provider_template)s, %(language)s, {parameters}, %(category)s,
           %(media_url)s, s.address_sealed, s.address_masked, %(source)s, %(source_id)s,
           %(step)s, s.status, s.cancel_reason, %(at)s, %(at)s, s.next_attempt_at, 0, '',
           '', ''
      FROM {source}
     ORDER BY s.customer_id
    """  # noqa: S608 (constants only)


def _move_staged(personal: bool) -> str:
    """When some of the keys may exist already: skip those, count what went in."""
    return f"""
    WITH inserted AS (
        {_insert_staged(personal)}
        ON CONFLICT DO NOTHING
        RETURNING status, cancel_reason, next_attempt_at > %(at)s AS waits)
    SELECT status, cancel_reason, waits, count(*) FROM inserted GROUP BY 1, 2, 3
    """  # noqa: S608 (constants only)


# Has this step of this source queued anything on this channel before? (``message_once``)
KEY_USED = """
    SELECT EXISTS (SELECT 1 FROM messaging_message
                    WHERE source = %(source)s AND source_id = %(source_id)s
                      AND staff_user_id IS NULL AND channel = %(channel)s AND step = %(step)s)
"""
# … to any of the staged customers? (a campaign queued batch by batch: the earlier batches')
# Driven from the staged rows, one probe of ``message_once`` (every column of it given) per
# customer: the LIMIT keeps the planner from flattening it into a join, whose plan hung on
# statistics — none on the temporary table, and the outbox's taken before this source's
# rows were there: 0.12 s a journey batch of 2,500 customers, now a few milliseconds.
KEY_USED_BY_STAGED = """
    SELECT EXISTS (SELECT 1 FROM messaging_staging s
                    CROSS JOIN LATERAL (
                        SELECT 1 FROM messaging_message m
                         WHERE m.source = %(source)s AND m.source_id = %(source_id)s
                           AND m.customer_id = s.customer_id AND m.staff_user_id IS NULL
                           AND m.channel = %(channel)s AND m.step = %(step)s
                         LIMIT 1) used)
"""


SPOOL_IN_MEMORY = 64 * 1024 * 1024  # staged rows beyond this go to a temporary file
CHUNK = 5000  # rows read from the stream, sealed and formatted together
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value for COPY's text format (only a masked e-mail could hold one of these)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _verdicts(customers: QuerySet, channel: str, purpose: str, at: datetime):
    """``(customer id as text, address, reason, zone)`` per customer, streamed: the server
    computes the verdicts while this process seals the rows already received (a server-side
    cursor would make each wait for the other), so the two use both cores."""
    field = CUSTOMER_ADDRESS[channel]
    query = (
        with_contact_checks(customers, purpose, channel, at, reason="_contact_reason")
        .order_by()
        .values_list("pk", field, "_contact_reason", "home_branch__timezone")
        .query
    )
    try:
        sql, params = query.sql_with_params()
    except EmptyResultSet:  # e.g. pk__in=[]: nobody to ask about
        return
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own, for stream() and its loaders
        cursor.adapters.register_loader("uuid", TextLoader)  # ids go back out as text
        yield from cursor.stream(sql, params, size=CHUNK)


def _spool_verdicts(
    spool, customers: QuerySet, channel: str, purpose: str, at: datetime, counts: dict
) -> tuple[dict, list[tuple]]:
    """Write one COPY line per customer with an address into ``spool`` (status, reason and
    due moment decided from the verdict, address sealed and masked). Returns the lines
    written by ``(status, cancel_reason, waits)`` and the rows whose due moment needs a query
    of their own (frequency cap: few), not yet written."""
    at_text = at.isoformat()
    opens: dict[str, tuple[str, bool]] = {}
    tally: dict[tuple, int] = {}
    later: list[tuple] = []
    pending: list[tuple] = []

    def flush():
        sealed = addresses.seal_many([row[1] for row in pending])
        lines = [
            f"{pk}\t{seal}\t{_copy_text(addresses.mask(channel, address))}\t{tail}"
            for (pk, address, tail), seal in zip(pending, sealed, strict=True)
        ]
        spool.write("".join(lines).encode())
        pending.clear()

    for pk, address, reason, zone in _verdicts(customers, channel, purpose, at):
        counts["seen"] += 1
        if not address:
            counts["no_address"] += 1
            continue
        if not reason:
            key, tail = ("QUEUED", "", False), f"QUEUED\t\t{at_text}\n"
        elif reason == Reason.OUTSIDE_WINDOW:
            if zone not in opens:
                due = next_working_moment(window_schedule(purpose, zone), at)
                opens[zone] = (due.isoformat(), due > at)
            due_text, waits = opens[zone]
            key, tail = ("QUEUED", "", waits), f"QUEUED\t\t{due_text}\n"
        elif reason == Reason.FREQUENCY_CAP:  # asked one by one after the stream
            later.append((pk, address))
            continue
        else:
            key, tail = (
                ("CANCELLED", reason, False),
                f"CANCELLED\t{_copy_text(reason)}\t{at_text}\n",
            )
        tally[key] = tally.get(key, 0) + 1
        pending.append((pk, address, tail))
        if len(pending) >= CHUNK:
            flush()
    flush()
    return tally, later


def _copy_spool(cursor, spool) -> None:
    spool.seek(0)
    with cursor.copy(
        "COPY messaging_staging (customer_id, address_sealed, address_masked, status,"
        " cancel_reason, next_attempt_at) FROM STDIN"
    ) as copy:
        while block := spool.read(1024 * 1024):
            copy.write(block)


def _insert_new_keys(cursor, params: dict, tally: dict, personal: bool) -> list[tuple] | None:
    """A first queueing of this key for these customers (a campaign, or its next batch): a
    plain INSERT, without ON CONFLICT's speculative insertion (an extra probe of each unique
    index per row), RETURNING and grouping. Its rows are exactly the staged ones, so the
    counts are the tally's. Under a savepoint: should a key turn up after all (the same
    customer twice in ``customers``, or a concurrent queueing of the same key), it is undone
    and None returned, and the caller goes the ON CONFLICT way."""
    cursor.execute(KEY_USED, params)
    if cursor.fetchone()[0]:
        cursor.execute(KEY_USED_BY_STAGED, params)
        if cursor.fetchone()[0]:
            return None
    try:
        with transaction.atomic():
            cursor.execute(_insert_staged(personal), params)
    except IntegrityError:
        return None
    return [(*key, count) for key, count in tally.items()]


# Customers rendered and staged together in a personalised send.
PERSONAL_CHUNK = 1000


def _stage_personal(cursor, personalise) -> Rendered | None:
    """Render every staged customer (``personalise(ids) -> {id: Rendered}``, ``PERSONAL_CHUNK``
    ids a call) and COPY their content into ``messaging_personal``. Returns one rendering, for
    the fields every customer shares (provider template, language …), or None if none staged."""
    cursor.execute("SELECT customer_id::text FROM messaging_staging")
    ids = [row[0] for row in cursor.fetchall()]
    cursor.execute(CREATE_PERSONAL)
    first = None
    for start in range(0, len(ids), PERSONAL_CHUNK):
        chunk = ids[start : start + PERSONAL_CHUNK]
        rendered = personalise(chunk)
        with cursor.copy(
            "COPY messaging_personal (customer_id, subject, text, html, parameters) FROM STDIN"
        ) as copy:
            # Customers rendered alike share one ``Rendered`` (``templating.render_each``):
            # its columns are made once.
            columns: dict[int, tuple] = {}
            for pk in chunk:
                one = rendered[pk]
                first = first or one
                row = columns.get(id(one))
                if row is None:
                    row = columns[id(one)] = (
                        one.subject[:255],
                        one.text,
                        one.html,
                        json.dumps(list(one.parameters)),
                    )
                copy.write_row((pk, *row))
    return first


@transaction.atomic
def message_queue_many(
    *,
    actor,
    customers: QuerySet[Customer],
    channel: str,
    purpose: str,
    source: str,
    source_id: str,
    rendered: Rendered | None = None,
    personalise=None,
    step: str = "",
    template_key: str = "",
    template_version: int | None = None,
    at: datetime | None = None,
) -> dict:
    """Queue a message to every customer of ``customers`` (a queryset: a segment, or a
    campaign batch already locked ``FOR SHARE`` by its caller): the same ``rendered`` content
    to all, or each customer's own from ``personalise(customer_ids) -> {id: Rendered}`` (ids as
    text; asked only for the customers staged, a thousand at a time). Returns the counts:
    ``queued`` (due now), ``waiting`` (queued for the next window), ``cancelled`` by reason,
    ``no_address`` and ``already_queued``."""
    validate_message(channel, purpose, source, to_staff=False)
    if (rendered is None) == (personalise is None):
        raise ValueError("message_queue_many: give either rendered or personalise")
    at = at or timezone.now()
    counts = {"queued": 0, "waiting": 0, "cancelled": {}, "no_address": 0, "seen": 0}
    personal = personalise is not None
    with (
        connection.cursor() as cursor,
        tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool,
    ):
        tally, later = _spool_verdicts(spool, customers, channel, purpose, at, counts)
        for pk, address in later:
            due = contactability(Customer(pk=pk), purpose, channel, at).next_window_at or at
            spool.write(
                f"{pk}\t{addresses.seal(address)}\t{_copy_text(addresses.mask(channel, address))}"
                f"\tQUEUED\t\t{due.isoformat()}\n".encode()
            )
            key = ("QUEUED", "", due > at)
            tally[key] = tally.get(key, 0) + 1
        cursor.execute(CREATE_STAGING)
        _copy_spool(cursor, spool)
        if personal:
            rendered = _stage_personal(cursor, personalise) or Rendered()
        params = {
            **content_fields(rendered),
            "parameters": json.dumps(list(rendered.parameters)),
            "channel": channel,
            "purpose": purpose,
            "template_key": template_key,
            "template_version": template_version,
            "source": source,
            "source_id": str(source_id)[:64],
            "step": step[:64],
            "at": at,
        }
        inserted = _insert_new_keys(cursor, params, tally, personal)
        if inserted is None:
            cursor.execute(_move_staged(personal), params)
            inserted = cursor.fetchall()
        for status, reason, waits, count in inserted:
            if status == MessageStatus.CANCELLED:
                counts["cancelled"][reason] = counts["cancelled"].get(reason, 0) + count
            else:
                counts["waiting" if waits else "queued"] += count
        # ON COMMIT DROP is for a failure; a caller may queue again in the same transaction.
        cursor.execute("DROP TABLE messaging_staging")
        if personal:
            cursor.execute("DROP TABLE messaging_personal")
    inserted = counts["queued"] + counts["waiting"] + sum(counts["cancelled"].values())
    counts["already_queued"] = counts.pop("seen") - counts["no_address"] - inserted
    if counts["queued"] or counts["waiting"]:
        dispatch_channels_soon([channel])
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
            "personalised": personal,
            **counts,
        },
    )
    return counts
