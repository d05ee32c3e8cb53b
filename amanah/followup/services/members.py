"""Members: enrolment, deposits, and leaving the desk (``finish``). Keyword-only, actor first;
permission and scope, validation, write, event, audit — in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import lock_customer_for_consent
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.money import service_amount
from amanah.customers.models import Customer
from amanah.followup import sql
from amanah.followup.assign import ACTOR, Hand, record
from amanah.followup.joining import REFUSALS, join_refusal
from amanah.followup.models import (
    Deposit,
    EntryReason,
    Member,
    MemberStatus,
    RejectedDeposit,
    RejectReason,
    RotationReason,
)
from amanah.followup.policies import DEPOSIT_RECORD, MEMBER_ENROL
from amanah.iam import authz

MEMBER_ENROLLED = "followup.member_enrolled"  # fn(*, actor, member)
DEPOSIT_RECORDED = "followup.deposit_recorded"  # fn(*, actor, deposit)
MAX_AMOUNT = Decimal("999999999999.99")
# A deposit stamped later than this after our clock is refused (clock skew tolerated).
FUTURE_SKEW = timedelta(minutes=5)


def _check_target(target) -> Decimal:
    return service_amount(
        target,
        low=Decimal("0.01"),
        high=MAX_AMOUNT,
        sen=True,
        refuse=lambda: ServiceError(
            "target_invalid",
            _("Target setoran harus angka lebih dari nol."),
            field="deposit_target",
        ),
    )


@transaction.atomic
def member_enrol(
    *,
    actor,
    customer: Customer,
    entry_reason: str,
    deposit_target,
    now: datetime | None = None,
    external_ref: str | None = None,
) -> Member:
    """Put a customer on the desk: it goes to the agent after the one the last new member went
    to (skipping agents away or full), or waits (PENDING) when nobody can take it.
    ``external_ref``: the sender's key of an import (``member_import``), kept on the member.
    Many at once, by rule: ``enrolment.members_enrol_many`` (the same checks, set-based)."""
    authz.require(actor, MEMBER_ENROL)
    now = now or timezone.now()
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFound()
    if entry_reason not in EntryReason.values:
        raise ServiceError(
            "entry_reason_invalid", _("Alasan masuk tidak dikenal."), field="entry_reason"
        )
    target = _check_target(deposit_target)
    # Lock order: the customer (consent's lock), then the desk — as a consent change or a
    # closing that makes the member leave (``exits``) takes them; so a withdrawal either
    # commits before this looks, or waits and then finds the member to let go.
    lock_customer_for_consent(customer.pk)
    _check_may_join(customer)
    hand = Hand.open(now)
    if Member.objects.filter(customer=customer).exclude(status=MemberStatus.DONE).exists():
        raise ServiceError(
            "already_member", _("Nasabah ini sudah ada di meja tindak lanjut."), field="customer"
        )
    try:
        with transaction.atomic():
            member = Member.objects.create(
                customer=customer,
                status=MemberStatus.PENDING,
                entry_reason=entry_reason,
                deposit_target=target,
                pending_since=now,
                enrolled_at=now,
                external_ref=external_ref,
            )
    except IntegrityError as error:
        raise ServiceError(
            "already_member", _("Nasabah ini sudah ada di meja tindak lanjut."), field="customer"
        ) from error
    moves = hand.move([member.pk], RotationReason.NEW_MEMBER)
    events.emit(MEMBER_ENROLLED, actor=actor, member=member)
    record(moves)
    audit.record(
        actor=actor,
        action=AuditAction.ENROL_FOLLOWUP_MEMBER,
        obj=member,
        meta={"entry_reason": entry_reason, "to_position": moves[0].to_position if moves else None},
    )
    member.refresh_from_db()
    return member


def _check_may_join(customer: Customer) -> None:
    """A closed or merged customer, one who withdrew marketing consent, or one on the
    do-not-contact list is not put on the desk: they are exactly those the desk lets go
    (``exits``). The rule and its set form: ``joining``."""
    code = join_refusal(customer)
    if code:
        raise ServiceError(code, str(REFUSALS[code]), field="customer")


@dataclass(frozen=True)
class DepositResult:
    status: str  # ACCEPTED, DUPLICATE, REJECTED
    deposit: Deposit | None = None
    rejected: RejectedDeposit | None = None

    @property
    def reason(self) -> str:
        return self.rejected.reason if self.rejected else ""


def _clean_ref(value, field: str) -> str:
    value = str(value or "").strip()
    if not value or len(value) > 64 or problem_in_text(value):
        raise ServiceError(
            "reference_invalid", _("Referensi wajib diisi, paling panjang 64 huruf."), field=field
        )
    return value


def _check_amount(amount) -> Decimal:
    return service_amount(
        amount,
        low=Decimal("0.01"),
        high=MAX_AMOUNT,
        sen=True,
        refuse=lambda: ServiceError(
            "amount_invalid", _("Jumlah setoran harus lebih dari nol."), field="amount"
        ),
    )


def _check_time(value) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value) or not value.year >= 2000:
        raise ServiceError(
            "deposited_at_invalid",
            _("Waktu setoran wajib lengkap dengan zona."),
            field="deposited_at",
        )
    return value


def _open_member(customer_ref: str) -> Member | None:
    import uuid

    try:
        customer_id = uuid.UUID(customer_ref)
    except ValueError:
        return None
    return (
        Member.objects.select_for_update(of=("self",))
        .filter(customer_id=customer_id)
        .exclude(status=MemberStatus.DONE)
        .first()
    )


def deposit_record(
    *,
    actor,
    customer_ref: str,
    amount,
    deposited_at: datetime,
    external_ref: str,
    now: datetime | None = None,
) -> DepositResult:
    """A deposit from core banking, an import or the API. Inside the agent's window it
    restarts the window (the member stays); reaching the target ends the membership (DONE).
    A deposit for nobody on the desk, or stamped in the future, is refused with its reason and
    kept (``RejectedDeposit``, for the sync monitor): the refusal commits on its own, so it is
    kept even though the caller gets an error. The same ``external_ref`` twice is one deposit,
    also when both arrive at once (the second answers DUPLICATE).

    Lock order (``Hand.lock_desk``): the desk row, then the member. A deposit that meets its
    target hands the member back through the desk; taking the desk first means it never
    holds a member while waiting for the desk that a leave hand-over holds while waiting for
    that member. The price: deposits wait for a sweep batch in progress (up to about
    a second) and for each other (they already queue for the audit chain)."""
    authz.require(actor, DEPOSIT_RECORD)
    now = now or timezone.now()
    external_ref = _clean_ref(external_ref, "external_ref")
    customer_ref = _clean_ref(customer_ref, "customer_ref")
    amount = _check_amount(amount)
    deposited_at = _check_time(deposited_at)
    with transaction.atomic():
        existing = Deposit.objects.filter(external_ref=external_ref).first()
        if existing:
            return DepositResult("DUPLICATE", deposit=existing)
        reason = None
        member = None
        if deposited_at > now + FUTURE_SKEW:
            reason = RejectReason.FUTURE_TIMESTAMP
        else:
            Hand.lock_desk()
            # Again under the lock: every accepted deposit holds the desk until it commits,
            # so one with this reference that was in flight at the first look has committed
            # by now, and is answered here rather than by the unique key (an error).
            existing = Deposit.objects.filter(external_ref=external_ref).first()
            if existing:
                return DepositResult("DUPLICATE", deposit=existing)
            member = _open_member(customer_ref)
            if member is None:
                reason = RejectReason.UNKNOWN_MEMBER
        if reason:
            rejected, _created = RejectedDeposit.objects.get_or_create(
                external_ref=external_ref,
                reason=reason,
                defaults={"customer_ref": customer_ref, "amount": amount,
                          "deposited_at": deposited_at, "received_at": now},
            )  # fmt: skip
            audit.record(
                actor=actor,
                action=AuditAction.RECORD_FOLLOWUP_DEPOSIT,
                obj=rejected,
                meta={"rejected": str(reason)},
            )
            return DepositResult("REJECTED", rejected=rejected)
        return DepositResult("ACCEPTED", deposit=_accept(actor, member, amount, deposited_at,
                                                         external_ref, now))  # fmt: skip


def _accept(actor, member: Member, amount, deposited_at, external_ref, now) -> Deposit:
    """The database writes the deposit, the totals and the window (restarted when the deposit
    fell inside it), and lets the member go when it reached its target (``followup_move``,
    MEMBER_DONE); the event and the audit rows follow here."""
    accepted = sql.deposit_accept(
        member_id=member.pk,
        external_ref=external_ref,
        amount=amount,
        deposited_at=deposited_at,
        now=now,
    )
    deposit = Deposit.objects.get(pk=accepted.deposit_id)
    events.emit(DEPOSIT_RECORDED, actor=actor, deposit=deposit)
    if accepted.done is not None:
        record([accepted.done], actor=ACTOR)
    audit.record(
        actor=actor,
        action=AuditAction.RECORD_FOLLOWUP_DEPOSIT,
        obj=deposit,
        meta={"reset_window": accepted.reset_window, "target_met": accepted.target_met},
    )
    return deposit


def finish(member: Member, reason: str, now: datetime) -> list[sql.Moved]:
    """The member leaves the desk: its agent (if any) gives it up through a rotation record
    (MEMBER_DONE), the status closes with ``reason`` — both by the database, which refuses a
    TARGET_MET the deposits do not show. The caller records the move (``assign.record``)
    after its own events."""
    moves = Hand.open(now).move([member.pk], RotationReason.MEMBER_DONE, exit_reason=reason)
    member.refresh_from_db()
    return moves
