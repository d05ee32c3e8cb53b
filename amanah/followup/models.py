"""The follow-up desk (seed 004, DESIGN §6 "Rotation"): agents numbered 1..N, members each with
one current agent for a 48-hour window, and the rotation history that is the only way a
member's agent changes.

"No manual move" is kept by the database, not only by the code (migrations 0002 and 0006): a
member's agent, status and window, its deposit totals, rotation and deposit rows, the agents'
order and the desk's cursor change only inside the desk's SECURITY DEFINER functions
(``followup_move``, ``followup_deposit_accept``, ``followup_desk_order_set``), which pick the
next agent themselves and refuse a move the rotation rules do not allow; for the application
role every other write of them is refused, an agent is always the same person, and a rotation
or deposit without its audit row cannot commit. Whatever role writes, an agent change needs a
newer rotation row from the old agent to the new one, and rotation rows are append-only.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.followup.policies import DESK_MONITOR


class Desk(models.Model):
    """The desk's settings and round-robin cursor: one row (``id = 1``). ``last_position`` is
    the agent the last new member went to (its number: a new order remaps it in the same
    transaction, ``services.desk_order_set``); the next new member goes to the one after it. Its
    row lock also serialises every hand-out (enrolment, sweep batch, leave hand-over), so two
    of them never both fill an agent's last free place."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_position = models.PositiveSmallIntegerField(default=0)
    window_hours = models.PositiveSmallIntegerField(default=48)
    updated_at = models.DateTimeField(default=now)
    # The rotation ids the last ``followup_move`` wrote: at COMMIT the database checks that each
    # of them has its audit row (migration 0006), or refuses the transaction.
    rotations_written = BigIntegerRangeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="followup_desk_single"),
            models.CheckConstraint(
                condition=Q(window_hours__gte=1, window_hours__lte=240),
                name="followup_desk_window_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"desk {self.window_hours}h after {self.last_position}"


class DeskAgent(models.Model):
    """An agent ("CRM" in seed 004) with a number in the desk's order (1..N, no gaps and no
    duplicates — the service refuses any other order; the unique constraint is deferred so a
    whole new order is written in one transaction) and a capacity: above it, no new members
    (lowering it below the current load is allowed; the agent then waits to drain)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField("iam.User", on_delete=models.PROTECT, related_name="desk_agent")
    position = models.PositiveSmallIntegerField()
    capacity = models.PositiveIntegerField(default=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["position"],
                name="followup_agent_position_once",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="followup_agent_position"),
        ]

    def __str__(self) -> str:
        return f"agent {self.position}"


class MemberStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Aktif (agen pertama)")
    ROTATED = "ROTATED", _("Aktif (setelah rotasi)")
    PENDING = "PENDING", _("Menunggu agen")
    DONE = "DONE", _("Selesai")


WITH_AGENT = (MemberStatus.ACTIVE, MemberStatus.ROTATED)


class EntryReason(models.TextChoices):
    NEW_ACCOUNT = "NEW_ACCOUNT", _("Rekening baru tanpa setoran awal")
    DORMANT = "DORMANT", _("Nasabah dorman")
    IMPORT = "IMPORT", _("Impor")
    OTHER = "OTHER", _("Lainnya")


class DepositStatus(models.TextChoices):
    NONE = "NONE", _("Belum setor")
    PARTIAL = "PARTIAL", _("Sebagian")
    MET = "MET", _("Target tercapai")


class ExitReason(models.TextChoices):
    TARGET_MET = "TARGET_MET", _("Target setoran tercapai")
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN", _("Persetujuan dicabut")
    CLOSED = "CLOSED", _("Ditutup")
    MERGED = "MERGED", _("Digabung ke data nasabah lain")
    DO_NOT_CONTACT = "DO_NOT_CONTACT", _("Minta tidak dihubungi")


class Member(models.Model):
    """A customer on the desk. ``current_agent`` is set exactly while the member is ACTIVE or
    ROTATED (CHECK); PENDING members wait for anyone available and keep ``last_position`` (the
    number of the agent they came from, remapped by a new order) so they still go round in
    order. The window is 48 hours (the desk's
    ``window_hours``) from the moment the agent got the member; a deposit inside it restarts
    it. One open membership per customer (partial unique)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="followups"
    )
    # No plain index on either key: the partial index on (current_agent, window_end) serves
    # every lookup by agent, and rotations are never deleted; two indexes fewer to keep up on
    # each of the sweep's updates. ``last_rotation`` has no foreign-key constraint either: the
    # guard checks on every change that it names a history row of this member, which is more.
    current_agent = models.ForeignKey(
        DeskAgent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        db_index=False,
    )
    last_position = models.PositiveSmallIntegerField(default=0)
    last_rotation = models.ForeignKey(
        "followup.Rotation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,  # the guard trigger checks it, and more (migration 0002)
    )
    status = models.CharField(max_length=10, choices=MemberStatus.choices)
    entry_reason = models.CharField(max_length=20, choices=EntryReason.choices)
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    deposit_target = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    deposit_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    deposit_status = models.CharField(
        max_length=10, choices=DepositStatus.choices, default=DepositStatus.NONE
    )
    last_deposit_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(default=now)
    done_at = models.DateTimeField(null=True, blank=True)
    # The sender's key of an enrolment by import or API (``member_import``): the same key again
    # is the same enrolment. Empty (NULL) for the rules and staff; nullable, so the bench's
    # raw INSERT and the sweep need not know it.
    external_ref = models.CharField(max_length=64, null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["window_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["external_ref"], name="followup_member_ref_once"),
            models.UniqueConstraint(
                fields=["customer"], condition=~Q(status="DONE"), name="followup_member_open_once"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status__in=["ACTIVE", "ROTATED"],
                        current_agent__isnull=False,
                        window_start__isnull=False,
                        window_end__isnull=False,
                    )
                    | (~Q(status__in=["ACTIVE", "ROTATED"]) & Q(current_agent__isnull=True))
                ),
                name="followup_member_agent_iff_active",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(window_end__isnull=True) | Q(window_end__gt=models.F("window_start")),
                name="followup_member_window_order",
            ),
            models.CheckConstraint(
                condition=Q(deposit_target__isnull=True) | Q(deposit_target__gt=0),
                name="followup_member_target_positive",
            ),
        ]
        indexes = [
            # The sweep: windows ending, oldest first, among members with an agent.
            models.Index(
                fields=["window_end"],
                name="followup_member_due",
                condition=Q(status__in=["ACTIVE", "ROTATED"]),
            ),
            # Loads per agent, an agent's own page, a leave hand-over.
            models.Index(
                fields=["current_agent", "window_end"],
                name="followup_member_agent",
                condition=Q(status__in=["ACTIVE", "ROTATED"]),
            ),
            models.Index(
                fields=["pending_since", "id"],
                name="followup_member_pending",
                condition=Q(status="PENDING"),
            ),
        ]

    def __str__(self) -> str:
        return f"member {self.pk}"


class RotationReason(models.TextChoices):
    NEW_MEMBER = "NEW_MEMBER", _("Member baru")
    NO_DEPOSIT = "NO_DEPOSIT", _("Tidak ada setoran dalam 2 hari")
    AGENT_UNAVAILABLE = "AGENT_UNAVAILABLE", _("Agen cuti/libur")
    AGENT_FULL = "AGENT_FULL", _("Agen penuh")
    PENDING_ASSIGNED = "PENDING_ASSIGNED", _("Agen tersedia lagi")
    MEMBER_DONE = "MEMBER_DONE", _("Member selesai")


class Rotation(models.Model):
    """One change of a member's agent, with its reason (append-only). ``to_agent`` empty: the
    member waits (PENDING) because nobody was available; ``from_agent`` empty: a new or a
    waiting member. ``sweep_run`` groups the rotations of one sweep run."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by followup_rotation_member (member, id).
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="rotations", db_index=False
    )
    from_agent = models.ForeignKey(
        DeskAgent, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    to_agent = models.ForeignKey(
        DeskAgent, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    from_position = models.PositiveSmallIntegerField(null=True)
    to_position = models.PositiveSmallIntegerField(null=True)
    reason = models.CharField(max_length=20, choices=RotationReason.choices)
    at = models.DateTimeField(default=now)
    sweep_run = models.UUIDField(null=True, blank=True)
    # The positions the caller said were outside working hours at the move (skipped though
    # not away): the one input ``followup_move`` takes on the caller's word — the working
    # calendars with their holidays and zones are Python's — so it is kept with the move.
    off_duty = ArrayField(models.SmallIntegerField(), null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Rotations in a period by reason and by agent (dashboard, daily report): counted
            # from the index alone (the table is append-only, so its visibility map stays set).
            models.Index(
                fields=["at"], name="followup_rotation_at", include=["to_agent", "reason"]
            ),
            # A member's rotations in order (its sequence; a deposit's tenure, ``selectors``).
            models.Index(fields=["member", "id"], name="followup_rotation_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_agent__isnull=True)
                | Q(to_agent__isnull=True)
                | ~Q(from_agent=models.F("to_agent")),
                name="followup_rotation_moves",
            ),
        ]

    def __str__(self) -> str:
        return f"rotation {self.pk} {self.reason}"


class LogKind(models.TextChoices):
    CALL = "CALL", _("Telepon")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    NOTE = "NOTE", _("Catatan")


class FollowUpLog(models.Model):
    """One follow-up an agent recorded (a call, a WhatsApp, a note). It never moves the member
    and never extends the window (DESIGN §6). A WhatsApp goes through the messaging hub
    (``message_id``: the outbox row, no foreign key — the outbox is partitioned); one the
    contact rule or the hub refused is kept with its reason (``not_sent_reason``) and was
    never sent."""

    id = models.BigAutoField(primary_key=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="logs")
    agent = models.ForeignKey(DeskAgent, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=LogKind.choices)
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=now)
    message_id = models.UUIDField(null=True, blank=True)
    not_sent_reason = models.CharField(max_length=64, blank=True, default="")

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # Follow-ups per agent in a period (dashboard, daily report): a range of ``at``,
        # counted from the index alone.
        indexes = [models.Index(fields=["at", "agent"], name="followup_log_at")]

    def __str__(self) -> str:
        return f"log {self.pk} {self.kind}"


class Deposit(models.Model):
    """A deposit of a member, as the integration sent it (``external_ref`` unique: a repeated
    callback is the same deposit). ``reset_window``: it fell inside the agent's window."""

    id = models.BigAutoField(primary_key=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="deposits")
    external_ref = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    deposited_at = models.DateTimeField()
    received_at = models.DateTimeField(default=now)
    reset_window = models.BooleanField(default=False)
    agent = models.ForeignKey(
        DeskAgent, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-deposited_at"]
        # Deposits per agent in a period, and the conversion (dashboard, daily report).
        indexes = [models.Index(fields=["received_at"], name="followup_deposit_received")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="followup_deposit_positive"),
        ]

    def __str__(self) -> str:
        return f"deposit {self.pk}"


class RejectReason(models.TextChoices):
    UNKNOWN_MEMBER = "UNKNOWN_MEMBER", _("Member tidak dikenal")
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP", _("Waktu setoran di masa depan")


class RejectedDeposit(models.Model):
    """A deposit refused with its reason, kept for the sync monitor (issue 21). The customer
    reference is kept as sent (it may name nobody)."""

    id = models.BigAutoField(primary_key=True)
    external_ref = models.CharField(max_length=64)
    customer_ref = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    deposited_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=RejectReason.choices)
    received_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref", "reason"], name="followup_rejected_once"
            ),
        ]

    def __str__(self) -> str:
        return f"rejected deposit {self.pk} {self.reason}"


# Agents see the members they hold now, whatever the customer's branch (the desk is one for
# the bank); the desk's monitors see the members whose customer is of their branches, as they
# see the customer itself (a supervisor of another branch gets 404, like the customer's 360).
scopes.register(
    Member, own=("current_agent__user",), widen=DESK_MONITOR, branch="customer__home_branch"
)
scopes.register(Rotation, via="member")
scopes.register(FollowUpLog, via="member")
scopes.register(Deposit, via="member")
