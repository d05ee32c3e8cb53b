"""Customer notices through the messaging hub (issue 17): a water bill issued, an installment
falling due, a late fee (denda) charged, arrears — batched and idempotent.

Why a table of our own (``CustomerNotice``, unique ``(kind, ref)``) and not only the outbox's
idempotency key: the outbox key includes the channel, so a customer who changed their
preferred channel between two runs would get the same notice twice. The notice row is claimed
first (``INSERT … ON CONFLICT DO NOTHING RETURNING``: a second run, or a second worker, claims
nothing), then queued in the same transaction; a crash rolls both back together.

Each notice asks the one contactability rule through the outbox (``message_queue`` checks it
with the purpose at queue time, the dispatcher again at send time): a refused one is kept as a
CANCELLED message with its reason (e.g. ``NOT_PREFERRED``), and the notice row says so. The
channel is messaging's one rule (``customer_channel``): the customer's preferred one for the
purpose when it can be reached, else SMS, WhatsApp, e-mail — the first with an address.

Purposes: a bill issued is SERVICE (a notice like a receipt); an installment reminder, a late
fee and an arrears notice are COLLECTION (collection hours, consent.contactability).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection as db
from django.db import transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.consent.contract import preferred_channels
from amanah.core.actors import declare_actor
from amanah.messaging.contract import (
    MessageSource,
    Purpose,
    Rendered,
    customer_channel,
    message_queue,
)
from amanah.utility.models import (
    Bill,
    BillStatus,
    Connection,
    CustomerNotice,
    Installment,
    LateFee,
    NoticeKind,
)

logger = logging.getLogger(__name__)

# The notices job: it queues messages to customers (the hub asks the contact rule), no more.
NOTICE_ACTOR = declare_actor("utility-notices", permissions=())
BATCH = 500
# Bills and fees older than this are not announced (no flood of old news on a first run).
RECENT = dt.timedelta(days=7)
INSTALLMENT_REMINDER_AHEAD = dt.timedelta(days=3)
ARREARS_AFTER = dt.timedelta(days=30)

PURPOSES = {
    NoticeKind.BILL_ISSUED: Purpose.SERVICE,
    NoticeKind.INSTALLMENT_DUE: Purpose.COLLECTION,
    NoticeKind.LATE_FEE: Purpose.COLLECTION,
    NoticeKind.ARREARS: Purpose.COLLECTION,
}
SUBJECTS = {
    NoticeKind.BILL_ISSUED: gettext_noop("Tagihan air %(number)s"),
    NoticeKind.INSTALLMENT_DUE: gettext_noop("Pengingat angsuran %(number)s"),
    NoticeKind.LATE_FEE: gettext_noop("Denda angsuran %(number)s"),
    NoticeKind.ARREARS: gettext_noop("Tunggakan rekening air %(number)s"),
}
TEXTS = {
    NoticeKind.BILL_ISSUED: gettext_noop(
        "Tagihan air sambungan %(number)s periode %(period)s sebesar Rp %(amount)s telah "
        "terbit, jatuh tempo %(due)s."
    ),
    NoticeKind.INSTALLMENT_DUE: gettext_noop(
        "Angsuran ke-%(seq)s sambungan baru %(number)s sebesar Rp %(amount)s jatuh tempo "
        "%(due)s. Mohon dibayar tepat waktu agar tidak dikenakan denda."
    ),
    NoticeKind.LATE_FEE: gettext_noop(
        "Denda keterlambatan Rp %(amount)s dikenakan pada angsuran ke-%(seq)s sambungan baru "
        "%(number)s (bulan ke-%(month)s)."
    ),
    NoticeKind.ARREARS: gettext_noop(
        "Sambungan %(number)s memiliki tunggakan Rp %(amount)s (%(bills)s rekening). Mohon "
        "segera dibayar untuk menghindari pemutusan."
    ),
}


def rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


@dataclass(frozen=True)
class Candidate:
    ref: str
    connection: Connection
    values: dict


def _not_noticed(kind: str, ref) -> Exists:
    return ~Exists(CustomerNotice.objects.filter(kind=kind, ref=ref))


def _pk_ref():
    return Cast(OuterRef("pk"), CharField())


def _bills(as_of, limit) -> list[Candidate]:
    rows = (
        Bill.objects.filter(
            status=BillStatus.OPEN, issued_on__gte=as_of - RECENT, issued_on__lte=as_of
        )
        .filter(_not_noticed(NoticeKind.BILL_ISSUED, _pk_ref()))
        .select_related("connection__customer")
        .order_by("pk")[:limit]
    )
    return [
        Candidate(
            str(b.pk),
            b.connection,
            {
                "number": b.connection.number,
                "period": f"{b.period:%m/%Y}",
                "amount": rupiah(b.total),
                "due": f"{b.due_on:%d-%m-%Y}",
            },
        )
        for b in rows
    ]


def _installments(as_of, limit) -> list[Candidate]:
    rows = (
        Installment.objects.filter(
            paid__lt=F("amount"),
            due_on__gte=as_of,
            due_on__lte=as_of + INSTALLMENT_REMINDER_AHEAD,
        )
        .filter(_not_noticed(NoticeKind.INSTALLMENT_DUE, _pk_ref()))
        .select_related("installation__connection__customer")
        .order_by("pk")[:limit]
    )
    return [
        Candidate(
            str(i.pk),
            i.installation.connection,
            {
                "number": i.installation.connection.number,
                "seq": i.seq,
                "amount": rupiah(i.amount - i.paid),
                "due": f"{i.due_on:%d-%m-%Y}",
            },
        )
        for i in rows
    ]


def _late_fees(as_of, limit) -> list[Candidate]:
    rows = (
        LateFee.objects.filter(assessed_on__gte=as_of - RECENT, assessed_on__lte=as_of)
        .filter(_not_noticed(NoticeKind.LATE_FEE, _pk_ref()))
        .select_related("installment__installation__connection__customer")
        .order_by("pk")[:limit]
    )
    return [
        Candidate(
            str(f.pk),
            f.installment.installation.connection,
            {
                "number": f.installment.installation.connection.number,
                "seq": f.installment.seq,
                "amount": rupiah(f.amount),
                "month": f.months_late,
            },
        )
        for f in rows
    ]


def _arrears(as_of, limit) -> list[Candidate]:
    """One notice per connection and month while it has a bill more than 30 days overdue."""
    month = f":{as_of:%Y-%m}"
    overdue = Bill.objects.filter(status=BillStatus.OPEN, due_on__lt=as_of - ARREARS_AFTER)
    ids = (
        overdue.filter(
            _not_noticed(
                NoticeKind.ARREARS,
                Concat(Cast(OuterRef("connection_id"), CharField()), Value(month)),
            )
        )
        .values("connection_id")
        .annotate(amount=Sum(F("total") - F("paid")), bills=Count("pk"))
        .order_by("connection_id")[:limit]
    )
    totals = {row["connection_id"]: row for row in ids}
    connections = Connection.objects.filter(pk__in=totals).select_related("customer")
    return [
        Candidate(
            f"{c.pk}{month}",
            c,
            {
                "number": c.number,
                "amount": rupiah(totals[c.pk]["amount"]),
                "bills": totals[c.pk]["bills"],
            },
        )
        for c in sorted(connections, key=lambda c: c.pk)
    ]


FINDERS = {
    NoticeKind.BILL_ISSUED: _bills,
    NoticeKind.INSTALLMENT_DUE: _installments,
    NoticeKind.LATE_FEE: _late_fees,
    NoticeKind.ARREARS: _arrears,
}

CLAIM = """
    INSERT INTO utility_customernotice (kind, ref, connection_id, channel, outcome, created_at)
    SELECT %s, ref, connection_id, '', 'CLAIMED', %s
    FROM unnest(%s::text[], %s::bigint[]) AS t(ref, connection_id)
    ON CONFLICT (kind, ref) DO NOTHING
    RETURNING id, ref
"""


def _claim(kind: str, candidates: list[Candidate], at) -> dict[str, int]:
    """Claim the notices nobody claimed before: ``{ref: notice id}`` of the ones this call
    inserted (the unique key settles a race between two runs)."""
    with db.cursor() as cursor:
        cursor.execute(
            CLAIM,
            [
                kind,
                at,
                [c.ref for c in candidates],
                [c.connection.pk for c in candidates],
            ],
        )
        return {ref: pk for pk, ref in cursor.fetchall()}


@transaction.atomic
def customer_notices_send(*, kind: str, as_of: dt.date | None = None, batch: int = BATCH) -> int:
    """One batch of ``kind`` notices due ``as_of``: claimed, queued, recorded. Returns how
    many were claimed (0 = nothing left)."""
    as_of = as_of or timezone.localdate()
    candidates = FINDERS[NoticeKind(kind)](as_of, batch)
    if not candidates:
        return 0
    now = timezone.now()
    claimed = _claim(kind, candidates, now)
    purpose = PURPOSES[NoticeKind(kind)]
    preferred = preferred_channels({c.connection.customer_id for c in candidates}, purpose)
    done = []
    for candidate in candidates:
        if candidate.ref not in claimed:
            continue
        done.append(_queue(kind, purpose, candidate, claimed[candidate.ref], preferred, now))
    CustomerNotice.objects.bulk_update(done, ["channel", "outcome", "message_id"])
    return len(done)


def _queue(kind, purpose, candidate, notice_id, preferred, now) -> CustomerNotice:
    customer = candidate.connection.customer
    notice = CustomerNotice(pk=notice_id)
    channel = customer_channel(customer, purpose, preferred=preferred.get(customer.pk, ""))
    if channel is None:
        notice.channel, notice.outcome = "", "NO_ADDRESS"
        return notice
    with translation.override("id"):
        rendered = Rendered(
            subject=_(SUBJECTS[kind]) % candidate.values, text=_(TEXTS[kind]) % candidate.values
        )
    message = message_queue(
        actor=NOTICE_ACTOR,
        channel=channel,
        purpose=purpose,
        rendered=rendered,
        source=MessageSource.SYSTEM,
        source_id=f"utility.{kind.lower()}:{candidate.ref}",
        customer=customer,
        at=now,
    )
    notice.channel, notice.message_id = channel, message.pk
    notice.outcome = (
        f"CANCELLED:{message.cancel_reason}"[:40] if message.cancel_reason else "QUEUED"
    )
    return notice


def customer_notices_run(*, as_of: dt.date | None = None, batch: int = BATCH) -> dict:
    """Every kind, batch after batch (each its own transaction) until none is left."""
    as_of = as_of or timezone.localdate()
    counts = {}
    for kind in NoticeKind.values:
        total = 0
        while (sent := customer_notices_send(kind=kind, as_of=as_of, batch=batch)) > 0:
            total += sent
            if sent < batch:
                break
        counts[kind] = total
    logger.info("utility customer notices: %s", counts)
    return counts
