"""Every write of the follow-up desk except the sweep (``sweep.py``): the agents and their
order, enrolling a member, a deposit, a follow-up log line. Keyword-only, actor first;
permission and scope, validation, write, event, audit — in one transaction.

There is deliberately no service that moves a member to an agent of someone's choosing
(DESIGN §6: no manual move for anyone, ADMIN included); agents change only in ``assign.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers.models import Customer
from amanah.followup.assign import ACTOR, Hand, Move
from amanah.followup.models import (
    WITH_AGENT,
    Deposit,
    DepositStatus,
    DeskAgent,
    EntryReason,
    ExitReason,
    FollowUpLog,
    LogKind,
    Member,
    MemberStatus,
    RejectedDeposit,
    RejectReason,
    RotationReason,
)
from amanah.followup.policies import DEPOSIT_RECORD, DESK_MANAGE, DESK_WORK
from amanah.iam import authz
from amanah.iam.models import User

MEMBER_ENROLLED = "followup.member_enrolled"  # fn(*, actor, member)
DEPOSIT_RECORDED = "followup.deposit_recorded"  # fn(*, actor, deposit)
AGENT_ADDED = "followup.agent_added"  # fn(*, actor, agent)
ORDER_SET = "followup.order_set"  # fn(*, actor, desk)
AGENT_CAPACITY_SET = "followup.agent_capacity_set"  # fn(*, actor, agent)
LOG_ADDED = "followup.log_added"  # fn(*, actor, log)
MAX_CAPACITY = 10_000
MAX_AMOUNT = Decimal("999999999999.99")
# A deposit stamped later than this after our clock is refused (clock skew tolerated).
FUTURE_SKEW = timedelta(minutes=5)


# --------------------------------------------------------------------------- agents


def _check_capacity(capacity) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        try:
            capacity = int(str(capacity))
        except (TypeError, ValueError):
            capacity = -1
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ServiceError(
            "capacity_invalid",
            _("Kapasitas harus bilangan bulat 0 sampai %(max)s.") % {"max": MAX_CAPACITY},
            field="capacity",
        )
    return capacity


def _desk_audit(actor, obj, change: str, **meta) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_FOLLOWUP_DESK,
        obj=obj,
        meta={"change": change, **meta},
    )


@transaction.atomic
def desk_agent_add(*, actor, user: User, capacity: int = 200) -> DeskAgent:
    """Put a member of staff on the desk as agent N+1."""
    authz.require(actor, DESK_MANAGE)
    capacity = _check_capacity(capacity)
    if not User.objects.filter(pk=user.pk, is_active=True).exists():
        raise NotFound()
    Hand.lock_desk()
    if DeskAgent.objects.filter(user_id=user.pk).exists():
        raise ServiceError("agent_exists", _("Staf ini sudah menjadi agen meja tindak lanjut."))
    position = DeskAgent.objects.count() + 1
    agent = DeskAgent.objects.create(user=user, position=position, capacity=capacity)
    events.emit(AGENT_ADDED, actor=actor, agent=agent)
    _desk_audit(actor, agent, "agent_add", position=position, capacity=capacity)
    return agent


@transaction.atomic
def desk_order_set(*, actor, order: dict) -> None:
    """A whole new order: ``{agent_id: position}`` naming every agent once, positions 1..N.
    An order with gaps, duplicates, unknown or missing agents is refused. The positions the
    desk keeps (its cursor, each open member's last agent) are remapped in the same
    transaction, so they still name the same agents and the rotation goes on from them."""
    authz.require(actor, DESK_MANAGE)
    # Lock order (``Hand.lock_desk``): the desk, the agents (renumbering key-locks them), then
    # the members remapped.
    desk = Hand.lock_desk()
    agents = {str(a.pk): a for a in DeskAgent.objects.select_for_update(of=("self",), no_key=True)}
    try:
        wanted = {str(k): int(v) for k, v in dict(order).items()}
    except (TypeError, ValueError):
        wanted = None
    if wanted is None or set(wanted) != set(agents):
        raise ServiceError(
            "order_agents", _("Urutan harus memuat setiap agen tepat satu kali."), field="order"
        )
    if sorted(wanted.values()) != list(range(1, len(agents) + 1)):
        raise ServiceError(
            "order_gaps",
            _("Nomor urut harus 1 sampai %(n)s tanpa celah dan tanpa ganda.") % {"n": len(agents)},
            field="order",
        )
    moved = {}  # old position -> new position, of the agents whose number changes
    for key, agent in agents.items():
        if agent.position != wanted[key]:
            moved[agent.position] = wanted[key]
            agent.position = wanted[key]
            agent.save(update_fields=["position"])
    remapped = _remap_positions(desk, moved)
    events.emit(ORDER_SET, actor=actor, desk=desk)
    _desk_audit(
        actor,
        None,
        "order_set",
        object_type="followup.Desk",
        positions=len(agents),
        moved=len(moved),
        members_remapped=remapped,
    )


def _remap_positions(desk, moved: dict[int, int]) -> int:
    """The desk's cursor and ``Member.last_position`` store positions, not agents: after a new
    order they must name the same agent again, or the next new member (after the cursor) and
    every waiting member (after the agent it came from) would go on from whoever now holds
    the old number. One statement; the join reads each row's old value, so swaps are safe.
    Members that are DONE keep theirs (history; nobody hands them on). Returns the rows
    remapped."""
    if not moved:
        return 0
    if desk.last_position in moved:
        desk.last_position = moved[desk.last_position]
        desk.updated_at = timezone.now()
        desk.save(update_fields=["last_position", "updated_at"])
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE followup_member m SET last_position = u.new
              FROM unnest(%s::int[], %s::int[]) AS u(old, new)
             WHERE m.last_position = u.old AND m.status <> 'DONE'
            """,
            [list(moved), list(moved.values())],
        )
        return cursor.rowcount


@transaction.atomic
def desk_agent_capacity_set(*, actor, agent: DeskAgent, capacity) -> DeskAgent:
    """Below the current load is allowed: the agent gets no new member until below it."""
    authz.require(actor, DESK_MANAGE)
    capacity = _check_capacity(capacity)
    # Lock order (``Hand.lock_desk``): the desk (hand-outs read capacities under it), then
    # the agent, no key (logs, deposits and rotations point at it).
    Hand.lock_desk()
    agent = (
        DeskAgent.objects.select_for_update(of=("self",), no_key=True).filter(pk=agent.pk).first()
    )
    if agent is None:
        raise NotFound()
    old, agent.capacity = agent.capacity, capacity
    agent.save(update_fields=["capacity"])
    events.emit(AGENT_CAPACITY_SET, actor=actor, agent=agent)
    _desk_audit(actor, agent, "capacity_set", old=old, new=capacity)
    return agent


# --------------------------------------------------------------------------- members


def _check_target(target) -> Decimal:
    try:
        value = Decimal(str(target))
    except (InvalidOperation, ValueError, TypeError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise ServiceError(
            "target_invalid",
            _("Target setoran harus angka lebih dari nol."),
            field="deposit_target",
        )
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def member_enrol(
    *, actor, customer: Customer, entry_reason: str, deposit_target, now: datetime | None = None
) -> Member:
    """Put a customer on the desk: it goes to the agent after the one the last new member went
    to (skipping agents away or full), or waits (PENDING) when nobody can take it."""
    authz.require(actor, DESK_MANAGE)
    now = now or timezone.now()
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFound()
    if entry_reason not in EntryReason.values:
        raise ServiceError(
            "entry_reason_invalid", _("Alasan masuk tidak dikenal."), field="entry_reason"
        )
    target = _check_target(deposit_target)
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
            )
    except IntegrityError as error:
        raise ServiceError(
            "already_member", _("Nasabah ini sudah ada di meja tindak lanjut."), field="customer"
        ) from error
    move = hand.move(
        member_id=member.pk, agent_id=None, last_position=0, reason=RotationReason.NEW_MEMBER
    )
    events.emit(MEMBER_ENROLLED, actor=actor, member=member)
    audit.record(
        actor=actor,
        action=AuditAction.ENROL_FOLLOWUP_MEMBER,
        obj=member,
        meta={"entry_reason": entry_reason, "to_position": move.to_position if move else None},
    )
    if move:
        hand.apply([move])
    member.refresh_from_db()
    return member


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
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise ServiceError(
            "amount_invalid", _("Jumlah setoran harus lebih dari nol."), field="amount"
        )
    return value.quantize(Decimal("0.01"))


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
    in_window = (
        member.status in WITH_AGENT and member.window_start <= deposited_at <= member.window_end
    )
    total = member.deposit_total + amount
    met = total >= member.deposit_target
    deposit = Deposit.objects.create(
        member=member,
        external_ref=external_ref,
        amount=amount,
        deposited_at=deposited_at,
        received_at=now,
        reset_window=in_window and not met,
        agent_id=member.current_agent_id,
    )
    member.deposit_total = total
    member.deposit_status = DepositStatus.MET if met else DepositStatus.PARTIAL
    member.last_deposit_at = max(filter(None, [member.last_deposit_at, deposited_at]))
    fields = ["deposit_total", "deposit_status", "last_deposit_at"]
    if in_window and not met:
        hours = timedelta(hours=_window_hours())
        member.window_start, member.window_end = deposited_at, deposited_at + hours
        fields += ["window_start", "window_end"]
    member.save(update_fields=fields)
    if met:
        _finish(member, ExitReason.TARGET_MET, now)
    events.emit(DEPOSIT_RECORDED, actor=actor, deposit=deposit)
    audit.record(
        actor=actor,
        action=AuditAction.RECORD_FOLLOWUP_DEPOSIT,
        obj=deposit,
        meta={"reset_window": deposit.reset_window, "target_met": met},
    )
    return deposit


def _window_hours() -> int:
    from amanah.followup.models import Desk

    return Desk.objects.values_list("window_hours", flat=True).get(pk=1)


def _finish(member: Member, reason: str, now: datetime) -> None:
    """The member leaves the desk: its agent (if any) gives it up through a rotation record
    (MEMBER_DONE), then the status closes."""
    if member.current_agent_id:
        hand = Hand.open(now)
        hand.release_member(member.current_agent_id)
        position = hand.position_of.get(member.current_agent_id)
        hand.apply([Move(member.pk, member.current_agent_id, position, None, None,
                         RotationReason.MEMBER_DONE, MemberStatus.DONE)])  # fmt: skip
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.DONE, exit_reason=reason, done_at=now, window_start=None,
        window_end=None, pending_since=None,
    )  # fmt: skip
    member.refresh_from_db()


# --------------------------------------------------------------------------- follow-up log


@transaction.atomic
def followup_log_add(*, actor, member: Member, kind: str, note: str = "") -> FollowUpLog:
    """A call or a note by the member's current agent. It never moves the member and never
    extends the window; it only sets ``last_contact_at``."""
    authz.require(actor, DESK_WORK)
    Hand.share_desk()  # lock order (``Hand.lock_desk``): the desk, then the member
    member = (
        Member.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=member.pk, status__in=WITH_AGENT, current_agent__user_id=actor.pk)
        .first()
    )
    if member is None:
        raise NotFound()
    if kind not in LogKind.values:
        raise ServiceError("kind_invalid", _("Jenis tindak lanjut tidak dikenal."), field="kind")
    note = str(note or "").strip()
    if problem_in_text(note) or len(note) > 2000:
        raise ServiceError("note_invalid", _("Catatan paling panjang 2000 huruf."), field="note")
    if kind == LogKind.NOTE and not note:
        raise ServiceError("note_required", _("Catatan wajib diisi."), field="note")
    now = timezone.now()
    log = FollowUpLog.objects.create(
        member=member, agent=member.current_agent, kind=kind, note=note, at=now
    )
    member.last_contact_at = now
    member.save(update_fields=["last_contact_at"])
    events.emit(LOG_ADDED, actor=actor, log=log)
    audit.record(actor=actor, action=AuditAction.LOG_FOLLOWUP, obj=member, meta={"kind": kind})
    return log


__all__ = ["ACTOR"]
