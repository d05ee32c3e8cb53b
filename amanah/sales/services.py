"""Every change in sales (seed 003 Bab 6.4.3, 7.7, 8.5; seed 001 §8, §10): permission and
scope, validation, write, score, audit event and notification in one transaction."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer, PortfolioAssignment
from amanah.iam import authz
from amanah.iam.models import ScopeType, User, UserBranchScope, UserRole
from amanah.notifications.services import Message, notify_many
from amanah.sales import scoring
from amanah.sales.models import (
    CLOSE_REASON_MIN_LENGTH,
    CLOSED_LEAD_STATUSES,
    CLOSED_STAGES,
    OPEN_LEAD_STATUSES,
    STAGE_PROBABILITY,
    ActivityType,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityStage,
    RmActivity,
)
from amanah.sales.policies import (
    ACTIVITY_LOG,
    LEAD_CREATE,
    LEAD_UPDATE,
    MARKETING_ROLES,
    OPPORTUNITY_MANAGE,
)

NOTE_MAX = 2000
PRODUCT_MAX = 120
MAX_ESTIMATED_VALUE = Decimal("9999999999999.99")

# The board's order: a lead moves forward only (or straight to a close).
LEAD_ORDER = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]
STAGE_ORDER = [
    OpportunityStage.NEW,
    OpportunityStage.QUALIFIED,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
]


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


def _role(actor) -> str:
    return getattr(actor, "active_role", "") or ""


def _customer_in_scope(actor, customer: Customer) -> bool:
    return Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()


def _require_customer_or_lead(actor, customer: Customer, lead: Lead | None) -> None:
    """The customer is in the actor's scope, or the actor holds a lead of this customer.

    An RM may get a lead by the branch rule for a customer outside their portfolio; the lead
    is then their window on that customer, enough to log the follow-up against it.
    """
    if lead is not None:
        if not Lead.objects.visible_to(actor).filter(pk=lead.pk).exists():
            raise NotFound()
        if lead.customer_id != customer.pk:
            raise ServiceError("lead_mismatch", _("Lead ini bukan milik nasabah tersebut."))
        return
    if not _customer_in_scope(actor, customer):
        raise NotFound()


# --------------------------------------------------------------------------- auto-assignment


def rm_for(customer: Customer) -> tuple[User, str]:
    """Who gets a new lead (seed 003 US-16 AC-2): the portfolio RM, else the branch rule.

    The branch rule picks, among active RMs whose branch scope names the customer's home
    branch, the one with the fewest open leads (ties by username, so it is predictable).
    Head-office RMs with bank-wide scope are not "the branch's RMs" and are left out.
    Two leads created at the same instant may land on the same RM; the rule balances over
    time, which is all it promises.
    """
    assignment = (
        PortfolioAssignment.objects.filter(customer=customer, active=True, rm__is_active=True)
        .filter(rm__user_roles__role_id=R.RM)
        .select_related("rm")
        .first()
    )
    if assignment is not None:
        return assignment.rm, "PORTFOLIO"
    now = timezone.now()
    covers_branch = UserBranchScope.objects.filter(
        Q(active_from__isnull=True) | Q(active_from__lte=now),
        Q(active_to__isnull=True) | Q(active_to__gt=now),
        user=OuterRef("pk"),
        scope_type=ScopeType.BRANCH,
        branch_id=customer.home_branch_id,
    )
    open_leads = (
        Lead.objects.filter(assigned_to=OuterRef("pk"), status__in=OPEN_LEAD_STATUSES)
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("id"))
        .values("n")
    )
    candidate = (
        User.objects.filter(is_active=True)
        .filter(Exists(UserRole.objects.filter(user=OuterRef("pk"), role_id=R.RM)))
        .filter(Exists(covers_branch))
        .annotate(open_leads=Coalesce(Subquery(open_leads, output_field=IntegerField()), Value(0)))
        .order_by("open_leads", "username")
        .first()
    )
    if candidate is None:
        raise ServiceError(
            "no_rm",
            _("Tidak ada RM aktif untuk cabang nasabah ini; hubungi supervisor cabang."),
        )
    return candidate, "BRANCH"


# --------------------------------------------------------------------------- leads


def _clean_text(value: str, limit: int, field: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(
            f"{field}_too_long",
            _("%(label)s maks. %(n)d karakter.") % {"label": label, "n": limit},
            field=field,
        )
    return value


def _clean_source(source_type: str, source_id) -> uuid.UUID | None:
    if source_type not in LeadSource.values:
        raise ServiceError("source_invalid", _("Sumber lead tidak dikenal."), field="source_type")
    if source_id in (None, ""):
        if source_type != LeadSource.MANUAL:
            raise ServiceError(
                "source_id_required",
                _("Lead dari kampanye atau tindak lanjut wajib menyebut sumbernya."),
                field="source_id",
            )
        return None
    try:
        return source_id if isinstance(source_id, uuid.UUID) else uuid.UUID(str(source_id))
    except ValueError:
        raise ServiceError(
            "source_invalid", _("ID sumber lead tidak valid."), field="source_id"
        ) from None


def _check_marketing_handover(customer: Customer, source_type: str) -> None:
    """Marketing hands over only campaign leads of customers who may be offered something
    (``consent.contactability``: consent, do-not-contact, open sensitive case …)."""
    from amanah.consent.contract import ContactChannel, Purpose, Reason, contactability

    if source_type != LeadSource.CAMPAIGN:
        raise ServiceError(
            "source_invalid",
            _("Marketing hanya dapat membuat lead dari kampanye."),
            field="source_type",
        )
    verdict = contactability(customer, Purpose.OFFER, ContactChannel.PHONE)
    if verdict.allowed:
        return
    if verdict.reason == Reason.NO_CONSENT:
        raise ServiceError(
            "not_eligible",
            _("Nasabah tidak memberikan persetujuan pemasaran; lead tidak dapat dibuat."),
        )
    if verdict.reason == "SENSITIVE_CASE":
        raise ServiceError(
            "case_active",
            _("Nasabah sedang memiliki kasus sensitif yang terbuka; lead ditunda."),
        )
    raise ServiceError(
        "not_contactable",
        _("Nasabah tidak boleh ditawari saat ini: %s.") % verdict.labels[0],
    )


@transaction.atomic
def lead_create(
    *,
    actor,
    customer: Customer,
    source_type: str,
    source_id=None,
    product_interest: str = "",
    note: str = "",
) -> Lead:
    """Create a lead and hand it to an RM (portfolio first, else the branch rule); CREATE_LEAD.

    Staff roles need the customer in their own scope. MARKETING has no per-customer scope: it
    may hand over a campaign lead only for a customer whose marketing consent is GRANTED and
    who has no open sensitive case, and it hands over no free text — marketing knows the
    customer only as a member of a segment, and a note is where sensitive detail slips in.
    One lead per customer per source: a repeat raises ``lead_exists``.
    """
    authz.require(actor, LEAD_CREATE)
    is_marketing = _role(actor) in MARKETING_ROLES
    source = _clean_source(source_type, source_id)
    if is_marketing:
        _check_marketing_handover(customer, source_type)
    elif not _customer_in_scope(actor, customer):
        raise NotFound()
    if customer.merged_into_id:
        raise ServiceError("customer_merged", _("Nasabah ini sudah digabung ke data lain."))
    product_interest = _clean_text(
        product_interest, PRODUCT_MAX, "product_interest", _("Minat produk")
    )
    note_given = bool((note or "").strip())
    note = "" if is_marketing else _clean_text(note, NOTE_MAX, "note", _("Catatan"))
    if (
        source
        and Lead.objects.filter(
            customer=customer, source_type=source_type, source_id=source
        ).exists()
    ):
        raise _lead_exists()
    rm, rule = rm_for(customer)
    lead = Lead(
        customer=customer,
        source_type=source_type,
        source_id=source,
        assigned_to=rm,
        assignment_rule=rule,
        product_interest=product_interest,
        note=note,
        created_by=_user_or_none(actor),
        created_by_label=getattr(actor, "username", "system"),
    )
    scoring.apply_score(lead, *scoring.breakdown_for(customer))
    try:
        with transaction.atomic():  # a concurrent twin loses on the unique constraint
            lead.save(force_insert=True)
    except IntegrityError:
        raise _lead_exists() from None
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_LEAD,
        obj=lead,
        meta={
            "customer": str(customer.pk),
            "source_type": source_type,
            "source_id": str(source) if source else None,
            "assigned_to": rm.username,
            "rule": rule,
            "score": lead.score,
            "priority": lead.priority,
            **({"note_dropped": True} if is_marketing and note_given else {}),
        },
    )
    notify_many(
        [
            Message(
                rm.pk,
                _("Lead baru (%(priority)s): %(name)s")
                % {"priority": lead.get_priority_display(), "name": customer.full_name},
                f"lead-new:{lead.pk}",
                body=product_interest,
                url=reverse("sales:lead_detail", args=[lead.pk]),
            )
        ]
    )
    return lead


def _lead_exists() -> ServiceError:
    return ServiceError("lead_exists", _("Lead untuk nasabah ini dari sumber yang sama sudah ada."))


def _require_lead(actor, permission: str, lead: Lead) -> Lead:
    authz.require(actor, permission)
    locked = (
        Lead.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=lead.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def lead_moves(status: str) -> list[str]:
    """Where a lead in ``status`` may go: later open columns, or either close."""
    if status in CLOSED_LEAD_STATUSES:
        return []
    later = LEAD_ORDER[LEAD_ORDER.index(status) + 1 :]
    return [*later, *CLOSED_LEAD_STATUSES]


@transaction.atomic
def lead_move(*, actor, lead: Lead, to_status: str, reason: str = "") -> Lead:
    """Move a lead on the board; closing needs a reason (≥ 5 characters) and is final.

    UPDATE_LEAD for a move between open columns, CLOSE_LEAD for CLOSED_WON / CLOSED_LOST.
    """
    lead = _require_lead(actor, LEAD_UPDATE, lead)
    if lead.status in CLOSED_LEAD_STATUSES:
        raise ServiceError("lead_closed", _("Lead sudah ditutup dan tidak dapat dipindahkan."))
    if to_status not in lead_moves(lead.status):
        raise ServiceError(
            "transition_not_allowed",
            _("Lead hanya dapat maju atau ditutup (%(a)s → %(b)s tidak diizinkan).")
            % {"a": lead.status, "b": to_status},
            field="to_status",
        )
    reason = (reason or "").strip()
    closing = to_status in CLOSED_LEAD_STATUSES
    if closing and len(reason) < CLOSE_REASON_MIN_LENGTH:
        raise ServiceError(
            "reason_required",
            _("Alasan penutupan wajib diisi (minimal %d karakter).") % CLOSE_REASON_MIN_LENGTH,
            field="reason",
        )
    reason = _clean_text(reason, NOTE_MAX, "reason", _("Alasan"))
    previous, now = lead.status, timezone.now()
    lead.status, lead.updated_at = to_status, now
    fields = ["status", "updated_at"]
    if closing:
        lead.closed_reason, lead.closed_at = reason, now
        fields += ["closed_reason", "closed_at"]
    lead.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=AuditAction.CLOSE_LEAD if closing else AuditAction.UPDATE_LEAD,
        obj=lead,
        # The reason itself stays on the lead: free text may name people, the trail may not.
        meta={
            "from": previous,
            "to": to_status,
            **({"reason_length": len(reason)} if closing else {}),
        },
    )
    return lead


# --------------------------------------------------------------------------- RM activities


@transaction.atomic
def activity_log(
    *, actor, customer: Customer, activity_type: str, note: str, lead: Lead | None = None
) -> RmActivity:
    """Record a call, meeting or note (seed 003 US-17); it shows on the 360 timeline.

    Re-scores the customer's open leads, since the facts behind the score may have moved.
    """
    authz.require(actor, ACTIVITY_LOG)
    _require_customer_or_lead(actor, customer, lead)
    if activity_type not in ActivityType.values:
        raise ServiceError(
            "activity_type_invalid", _("Pilih jenis aktivitas."), field="activity_type"
        )
    note = _clean_text(note, NOTE_MAX, "note", _("Catatan"))
    if len(note) < 3:
        raise ServiceError("note_required", _("Isi catatan aktivitas."), field="note")
    activity = RmActivity.objects.create(
        customer=customer,
        lead=lead,
        activity_type=activity_type,
        note=note,
        created_by=_user_or_none(actor),
        created_by_label=getattr(actor, "full_name", "") or getattr(actor, "username", ""),
    )
    if lead is not None:
        Lead.objects.filter(pk=lead.pk).update(updated_at=activity.created_at)
    scoring.rescore_open_leads(customer)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_ACTIVITY,
        obj=activity,
        meta={
            "customer": str(customer.pk),
            "activity_type": activity_type,
            "lead": str(lead.pk) if lead else None,
        },
    )
    return activity


# --------------------------------------------------------------------------- opportunities


def _clean_amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount > MAX_ESTIMATED_VALUE:
        raise ServiceError(
            "value_invalid",
            _("Nilai estimasi harus lebih dari 0 (dalam rupiah)."),
            field="estimated_value",
        )
    return amount


@transaction.atomic
def opportunity_create(
    *,
    actor,
    customer: Customer,
    product_interest: str,
    estimated_value,
    expected_close_date: date | None = None,
    lead: Lead | None = None,
) -> Opportunity:
    """Open an opportunity at stage NEW (10 %), for the lead's RM, the acting RM, or by the
    same assignment rule as leads; CREATE_OPPORTUNITY."""
    authz.require(actor, OPPORTUNITY_MANAGE)
    _require_customer_or_lead(actor, customer, lead)
    product_interest = _clean_text(product_interest, PRODUCT_MAX, "product_interest", _("Produk"))
    if not product_interest:
        raise ServiceError("product_required", _("Produk wajib diisi."), field="product_interest")
    amount = _clean_amount(estimated_value)
    if expected_close_date and expected_close_date < timezone.localdate():
        raise ServiceError(
            "date_past",
            _("Perkiraan tanggal closing tidak boleh di masa lalu."),
            field="expected_close_date",
        )
    if lead is not None:
        owner = lead.assigned_to
    elif _role(actor) == R.RM:
        owner = actor
    else:
        owner = rm_for(customer)[0]
    opportunity = Opportunity.objects.create(
        customer=customer,
        lead=lead,
        product_interest=product_interest,
        estimated_value=amount,
        stage=OpportunityStage.NEW,
        probability=STAGE_PROBABILITY[OpportunityStage.NEW],
        expected_close_date=expected_close_date,
        assigned_to=owner,
        created_by=_user_or_none(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_OPPORTUNITY,
        obj=opportunity,
        meta={
            "customer": str(customer.pk),
            "lead": str(lead.pk) if lead else None,
            "estimated_value": str(amount),
            "stage": opportunity.stage,
            "assigned_to": owner.username,
        },
    )
    return opportunity


def opportunity_moves(stage: str) -> list[str]:
    if stage in CLOSED_STAGES:
        return []
    return [*STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :], *CLOSED_STAGES]


@transaction.atomic
def opportunity_move(
    *, actor, opportunity: Opportunity, to_stage: str, reason: str = ""
) -> Opportunity:
    """Advance or close an opportunity; the probability follows the stage (seed 001 §10).

    CLOSED_LOST needs a reason (≥ 5 characters); a closed opportunity stays closed.
    """
    authz.require(actor, OPPORTUNITY_MANAGE)
    locked = (
        Opportunity.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=opportunity.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    opportunity = locked
    if opportunity.stage in CLOSED_STAGES:
        raise ServiceError("opportunity_closed", _("Peluang sudah ditutup."))
    if to_stage not in opportunity_moves(opportunity.stage):
        raise ServiceError(
            "transition_not_allowed",
            _("Peluang hanya dapat maju atau ditutup."),
            field="to_stage",
        )
    reason = _clean_text(reason, NOTE_MAX, "reason", _("Alasan"))
    if to_stage == OpportunityStage.CLOSED_LOST and len(reason) < CLOSE_REASON_MIN_LENGTH:
        raise ServiceError(
            "reason_required",
            _("Alasan gagal wajib diisi (minimal %d karakter).") % CLOSE_REASON_MIN_LENGTH,
            field="reason",
        )
    previous, now = opportunity.stage, timezone.now()
    opportunity.stage, opportunity.probability = to_stage, STAGE_PROBABILITY[to_stage]
    opportunity.updated_at = now
    fields = ["stage", "probability", "updated_at"]
    if to_stage in CLOSED_STAGES:
        opportunity.closed_at = now
        fields.append("closed_at")
    if to_stage == OpportunityStage.CLOSED_LOST:
        opportunity.lost_reason = reason
        fields.append("lost_reason")
    opportunity.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_OPPORTUNITY,
        obj=opportunity,
        meta={"from": previous, "to": to_stage, "probability": opportunity.probability},
    )
    return opportunity
