"""Enrolment from outside one person's hand: an import or an integration (``member_import``,
the API's ``POST /api/v1/followup/members``), and many customers at once by rule
(``members_enrol_many``, the enrolment job's write — ``followup/enrolment.py``).

Both take the path ``member_enrol`` takes — permission and scope, consent's lock on the
customer, the rule of who may join (``joining``), the desk's lock, the member row, the event
``followup.member_enrolled``, the audit row ENROL_FOLLOWUP_MEMBER, the hand-out to the next
agent through ``assign.Hand`` (history row, audit row, notices) — the import by calling it,
the job set-based: one statement per step for a whole batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import lock_customer_for_consent
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.customers.models import Customer
from amanah.followup.assign import Hand, record
from amanah.followup.joining import joinable
from amanah.followup.models import EntryReason, Member, RotationReason
from amanah.followup.policies import MEMBER_ENROL
from amanah.followup.services.members import (
    MEMBER_ENROLLED,
    _check_target,
    _clean_ref,
    member_enrol,
)
from amanah.iam import authz

# What an import may say about why the customer is on the desk (the rules' own reasons
# included: a core-banking export of new accounts is an import of NEW_ACCOUNT members).
IMPORT_REASONS = (
    EntryReason.IMPORT,
    EntryReason.NEW_ACCOUNT,
    EntryReason.DORMANT,
    EntryReason.OTHER,
)


@dataclass(frozen=True)
class ImportResult:
    status: str  # ENROLLED, DUPLICATE (the same reference again: the first answer's member)
    member: Member


def _customer(actor, customer_ref: str) -> Customer:
    try:
        customer_id = uuid.UUID(customer_ref)
    except ValueError:
        raise NotFound() from None
    customer = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def member_import(
    *,
    actor,
    customer_ref: str,
    external_ref: str,
    deposit_target,
    entry_reason: str = EntryReason.IMPORT,
    now: datetime | None = None,
) -> ImportResult:
    """One customer onto the desk from an import or an integration, idempotent by the sender's
    ``external_ref``: the same reference for the same customer answers DUPLICATE with the
    member it made (whatever has happened to it since); for another customer it is refused
    (``reference_conflict``). Everything else as ``member_enrol``: unknown or out-of-scope
    customer → not found; closed, merged, consent withdrawn, do-not-contact, already on the
    desk → refused with its code; nothing written for a refusal.

    Lock order (``Hand.lock_desk``): the customer (consent's lock), then the desk — under which
    the reference is looked up again, so two imports with the same reference at once make one
    member (the second answers DUPLICATE or ``reference_conflict``), never a unique-key error."""
    authz.require(actor, MEMBER_ENROL)
    external_ref = _clean_ref(external_ref, "external_ref")
    customer_ref = _clean_ref(customer_ref, "customer_id")
    if entry_reason not in IMPORT_REASONS:
        raise ServiceError(
            "entry_reason_invalid", _("Alasan masuk tidak dikenal."), field="entry_reason"
        )
    target = _check_target(deposit_target)
    customer = _customer(actor, customer_ref)
    with transaction.atomic():
        lock_customer_for_consent(customer.pk)
        Hand.lock_desk()
        # Unscoped on purpose: the key is the sender's own. A member of this (visible) customer
        # is answered; another customer's is only named as taken.
        existing = Member.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            if existing.customer_id == customer.pk:
                return ImportResult("DUPLICATE", existing)
            raise ServiceError(
                "reference_conflict",
                _("Referensi ini sudah dipakai untuk nasabah lain."),
                field="external_ref",
            )
        member = member_enrol(
            actor=actor,
            customer=customer,
            entry_reason=entry_reason,
            deposit_target=target,
            now=now,
            external_ref=external_ref,
        )
    return ImportResult("ENROLLED", member)


INSERT_SQL = """
    INSERT INTO followup_member
           (customer_id, last_position, status, entry_reason, exit_reason, pending_since,
            deposit_target, deposit_total, deposit_status, enrolled_at)
    SELECT c, 0, 'PENDING', %(reason)s, '', %(now)s, %(target)s, 0, 'NONE', %(now)s
      FROM unnest(%(customers)s::uuid[]) WITH ORDINALITY AS u(c, n)
     ORDER BY n
        ON CONFLICT DO NOTHING
    RETURNING id
"""


def members_enrol_many(
    *, actor, customer_ids: list, entry_reason: str, deposit_target, now: datetime | None = None
) -> list[int]:
    """Put many customers on the desk at once (the enrolment job's batch), in the caller's
    transaction; returns the new members' ids. Set-based, with ``member_enrol``'s checks:

    1. consent's lock on the customers in scope (FOR NO KEY UPDATE, in key order, ``SKIP
       LOCKED``: one whose consent or master data is changing right now is left to the next
       run) — the same lock ``member_enrol`` and every consent change take first;
    2. the rule of who may join, as SQL (``joining.joinable``), under that lock;
    3. the desk's lock (``Hand.open``), then one INSERT of the members as PENDING that skips
       customers already on the desk (``ON CONFLICT DO NOTHING``: one open membership per
       customer) — so a batch run twice enrols nobody twice;
    4. the hand-out of the batch by the database (``Hand.move``: ``followup_move``, as a new
       member each: the next agent after the last one, skipping agents away, off duty or
       full; with nobody left, the rest wait, PENDING, for the sweep), the event per member,
       the rotations' event and audit rows (``assign.record``) and one ``audit.record_many``
       of the enrolments.
    """
    authz.require(actor, MEMBER_ENROL)
    if entry_reason not in EntryReason.values:
        raise ServiceError(
            "entry_reason_invalid", _("Alasan masuk tidak dikenal."), field="entry_reason"
        )
    target = _check_target(deposit_target)
    now = now or timezone.now()
    if not customer_ids:
        return []
    locked = list(
        Customer.objects.visible_to(actor)
        .select_for_update(no_key=True, of=("self",), skip_locked=True)
        .filter(pk__in=list(customer_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    may = set(joinable(Customer.objects.filter(pk__in=locked)).values_list("pk", flat=True))
    customers = [pk for pk in locked if pk in may]
    if not customers:
        return []
    hand = Hand.open(now)
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            {"reason": str(entry_reason), "now": now, "target": target, "customers": customers},
        )
        member_ids = sorted(row[0] for row in cursor.fetchall())
    if not member_ids:
        return []
    moves = hand.move(member_ids, RotationReason.NEW_MEMBER)
    for member in Member.objects.filter(pk__in=member_ids).order_by("pk"):
        events.emit(MEMBER_ENROLLED, actor=actor, member=member)
    record(moves)
    to_position = {m.member_id: m.to_position for m in moves}
    audit.record_many(
        actor=actor,
        action=AuditAction.ENROL_FOLLOWUP_MEMBER,
        object_type=Member._meta.label,
        object_ids=member_ids,
        meta_for=lambda member_id: {
            "entry_reason": str(entry_reason),
            "to_position": to_position.get(member_id),
            "rule": True,
        },
    )
    return member_ids
