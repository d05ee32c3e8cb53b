"""Every change in sales (seed 003 Bab 6.4.3, 7.7, 8.5; seed 001 §8, §10): permission and
scope, validation, write, score, audit event and notification in one transaction."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.money import service_amount
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer, PortfolioAssignment
from amanah.iam import authz
from amanah.iam.models import ScopeType, User, UserBranchScope, UserRole
from amanah.messaging.contract import conversion_record
from amanah.notifications.contract import Message, notify_many
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
    LEAD_HANDOVER,
    OPPORTUNITY_MANAGE,
)
from amanah.workflow.contract import transition_apply, transition_revert

NOTE_MAX = 2000
PRODUCT_MAX = 120
MAX_ESTIMATED_VALUE = Decimal("9999999999999.99")


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


def portfolio_rm(customer: Customer) -> User | None:
    """The customer's RM: the active RM of the customer's active portfolio assignment."""
    assignment = (
        PortfolioAssignment.objects.filter(
            customer_id=customer.pk, active=True, rm__is_active=True, rm__user_roles__role_id=R.RM
        )
        .select_related("rm")
        .first()
    )
    return assignment.rm if assignment else None


def rm_for(customer: Customer) -> tuple[User, str]:
    """Who gets a new lead (seed 003 US-16 AC-2): the portfolio RM, else the branch rule.

    The branch rule picks, among active RMs whose branch scope names the customer's home
    branch, the one with the fewest open leads (ties by username, so it is predictable).
    Head-office RMs with bank-wide scope are not "the branch's RMs" and are left out.
    Two leads created at the same instant may land on the same RM; the rule balances over
    time, which is all it promises.
    """
    rm = portfolio_rm(customer)
    if rm is not None:
        return rm, "PORTFOLIO"
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
    in_scope = _customer_in_scope(actor, customer)
    # A hand-over (marketing) is for customers outside the actor's own scope, on its terms.
    is_marketing = not in_scope and authz.has_perm(actor, LEAD_HANDOVER)
    source = _clean_source(source_type, source_id)
    if is_marketing:
        _check_marketing_handover(customer, source_type)
    elif not in_scope:
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
        created_by=user_or_none(actor),
        created_by_label=getattr(actor, "username", "system"),
    )
    scoring.apply_score(lead, scoring.score_for(customer))
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


def has_close_reason(obj, data: dict) -> bool:
    """Workflow guard: a close carries a reason of at least CLOSE_REASON_MIN_LENGTH characters."""
    return len((data.get("reason") or "").strip()) >= CLOSE_REASON_MIN_LENGTH


def lead_on_apply(lead: Lead, *, transition, data: dict, at) -> list[str]:
    """What a lead's status change implies: a close keeps its reason and time; a reopen
    (the compensating revert of a lost lead) clears the close time, the reason stays on record."""
    lead.updated_at = at
    if transition.to_status in CLOSED_LEAD_STATUSES:
        lead.closed_reason = _clean_text(data["reason"], NOTE_MAX, "reason", _("Alasan"))
        lead.closed_at = at
        return ["updated_at", "closed_reason", "closed_at"]
    if transition.is_revert:
        lead.closed_at = None
        return ["updated_at", "closed_at"]
    return ["updated_at"]


def lead_move(*, actor, lead: Lead, to_status: str, reason: str = "") -> Lead:
    """Move a lead on the board through the workflow ``sales.lead`` (see sales.contract).

    By default forward only or to a close; closing needs a reason (≥ 5 characters) and is
    final except for the declared reopen of a lost lead (``lead_reopen``).
    """
    return transition_apply(actor=actor, obj=lead, to=to_status, reason=reason)


def lead_reopen(*, actor, lead: Lead, reason: str) -> Lead:
    """Reopen a lost lead at the column it was closed from: a compensating move, with reason."""
    return transition_revert(actor=actor, obj=lead, reason=reason)


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
        created_by=user_or_none(actor),
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
    return service_amount(
        value,
        low=Decimal("0.01"),
        high=MAX_ESTIMATED_VALUE,
        sen=True,
        refuse=lambda: ServiceError(
            "value_invalid",
            _("Nilai estimasi harus lebih dari 0 (dalam rupiah)."),
            field="estimated_value",
        ),
    )


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
        created_by=user_or_none(actor),
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


def opportunity_on_apply(opportunity: Opportunity, *, transition, data: dict, at) -> list[str]:
    """The probability follows the stage (seed 001 §10); a close keeps its time, a loss its
    reason."""
    stage = transition.to_status
    opportunity.probability, opportunity.updated_at = STAGE_PROBABILITY[stage], at
    fields = ["probability", "updated_at"]
    if stage in CLOSED_STAGES:
        opportunity.closed_at = at
        fields.append("closed_at")
    if stage == OpportunityStage.CLOSED_LOST:
        opportunity.lost_reason = _clean_text(data["reason"], NOTE_MAX, "reason", _("Alasan"))
        fields.append("lost_reason")
    return fields


def conversion_on_won(*, actor, obj, from_status, to_status, revert=False, **_) -> None:
    """A lead or an opportunity closed WON is the customer taking up an offer: messaging counts
    it (channel analytics, "Konversi") against the last offer the customer clicked, else the
    last one sent, in the 30 days before (``messaging.contract.conversion_record``). A lead won
    with its opportunity counts once (one conversion per message)."""
    won = (LeadStatus.CLOSED_WON, OpportunityStage.CLOSED_WON)
    if not revert and to_status in won and obj.customer_id:
        conversion_record(customer_id=obj.customer_id)


def opportunity_move(
    *, actor, opportunity: Opportunity, to_stage: str, reason: str = ""
) -> Opportunity:
    """Advance or close an opportunity through the workflow ``sales.opportunity``.

    CLOSED_LOST needs a reason (≥ 5 characters); a closed opportunity stays closed.
    """
    return transition_apply(actor=actor, obj=opportunity, to=to_stage, reason=reason)
