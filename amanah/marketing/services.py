"""Segments and campaigns (seed 003 Bab 7.6, 8.3): every change audited, consent as a hard gate."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import Purpose, Reason, blocked_flag, contactable, with_contact_checks
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.marketing.models import (
    NOT_IN_SEGMENT_RULE,
    Campaign,
    CampaignChannel,
    CampaignEligibility,
    CampaignStatus,
    Segment,
    SegmentVersion,
)
from amanah.marketing.policies import CAMPAIGN_APPROVE, CAMPAIGN_MANAGE, SEGMENT_MANAGE
from amanah.marketing.rules import compile_rules

# --------------------------------------------------------------------------- segments


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 120:
        raise ServiceError("name_invalid", _("Nama 3–120 karakter."), field="name")
    return name


@transaction.atomic
def segment_create(*, actor, name: str, rules: dict, description: str = "") -> Segment:
    authz.require(actor, SEGMENT_MANAGE)
    compile_rules(rules)
    segment = Segment.objects.create(
        name=_clean_name(name), description=description.strip()[:500], created_by=_user(actor)
    )
    SegmentVersion.objects.create(segment=segment, version=1, rules=rules, created_by=_user(actor))
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_SEGMENT,
        obj=segment,
        meta={"version": 1, "rules": rules},
    )
    return segment


@transaction.atomic
def segment_update(*, actor, segment: Segment, rules: dict) -> SegmentVersion:
    """A new version; campaigns already submitted keep the version they froze."""
    authz.require(actor, SEGMENT_MANAGE)
    compile_rules(rules)
    latest = (
        SegmentVersion.objects.select_for_update(of=("self",), no_key=True)
        .filter(segment=segment)
        .order_by("-version")
        .first()
    )
    version = SegmentVersion.objects.create(
        segment=segment, version=latest.version + 1, rules=rules, created_by=_user(actor)
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_SEGMENT,
        obj=segment,
        meta={"version": version.version, "rules": rules},
    )
    return version


def segment_preview(*, actor, rules: dict) -> dict:
    """Live counts for the builder: customers matching the rules and, of those, eligible now."""
    authz.require(actor, SEGMENT_MANAGE)
    matching = _population().filter(compile_rules(rules))
    # Any personal channel: contactability at evaluation does not depend on it (no window).
    eligible = contactable(matching, Purpose.OFFER, CampaignChannel.WHATSAPP)
    return {"matching": matching.count(), "eligible": eligible.count()}


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --------------------------------------------------------------------------- campaign lifecycle


@transaction.atomic
def campaign_create(
    *, actor, name: str, segment: Segment, channel: str, message: str, objective: str = ""
) -> Campaign:
    authz.require(actor, CAMPAIGN_MANAGE)
    if channel not in CampaignChannel.values:
        raise ServiceError("channel_invalid", _("Pilih kanal kampanye."), field="channel")
    if len((message or "").strip()) < 10:
        raise ServiceError("message_required", _("Isi pesan minimal 10 karakter."), field="message")
    campaign = Campaign.objects.create(
        name=_clean_name(name),
        segment=segment,
        channel=channel,
        message=message.strip(),
        objective=objective.strip(),
        created_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_CAMPAIGN,
        obj=campaign,
        meta={"segment": str(segment.pk), "channel": channel},
    )
    return campaign


def _locked(campaign: Campaign, *allowed: str) -> Campaign:
    campaign = Campaign.objects.select_for_update(of=("self",), no_key=True).get(pk=campaign.pk)
    if campaign.status not in allowed:
        raise ServiceError(
            "status_invalid", _("Kampanye berstatus %s; aksi ini tidak berlaku.") % campaign.status
        )
    return campaign


@transaction.atomic
def campaign_submit(*, actor, campaign: Campaign) -> Campaign:
    """Freeze the segment's current version and ask for approval."""
    authz.require(actor, CAMPAIGN_MANAGE)
    campaign = _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.REJECTED)
    campaign.segment_version = campaign.segment.current
    campaign.status, campaign.submitted_at = CampaignStatus.SUBMITTED, timezone.now()
    campaign.save()
    audit.record(
        actor=actor,
        action=AuditAction.SUBMIT_CAMPAIGN,
        obj=campaign,
        meta={"segment_version": campaign.segment_version.version},
    )
    return campaign


def _decide(actor, campaign: Campaign) -> Campaign:
    authz.require(actor, CAMPAIGN_APPROVE)
    campaign = _locked(campaign, CampaignStatus.SUBMITTED)
    if campaign.created_by_id and campaign.created_by_id == getattr(actor, "pk", None):
        raise ServiceError(
            "four_eyes", _("Pembuat kampanye tidak boleh menyetujui/menolak kampanyenya sendiri.")
        )
    return campaign


@transaction.atomic
def campaign_approve(*, actor, campaign: Campaign, note: str = "") -> Campaign:
    campaign = _decide(actor, campaign)
    campaign.status, campaign.approved_by, campaign.approved_at = (
        CampaignStatus.APPROVED,
        _user(actor),
        timezone.now(),
    )
    campaign.decision_note = note.strip()[:500]
    campaign.save()
    audit.record(
        actor=actor,
        action=AuditAction.APPROVE_CAMPAIGN,
        obj=campaign,
        meta={"note": campaign.decision_note},
    )
    return campaign


@transaction.atomic
def campaign_reject(*, actor, campaign: Campaign, note: str) -> Campaign:
    if len((note or "").strip()) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan penolakan (minimal 10 karakter)."), field="note"
        )
    campaign = _decide(actor, campaign)
    campaign.status, campaign.decision_note = CampaignStatus.REJECTED, note.strip()[:500]
    campaign.save()
    audit.record(
        actor=actor,
        action=AuditAction.REJECT_CAMPAIGN,
        obj=campaign,
        meta={"note": campaign.decision_note},
    )
    return campaign


# --------------------------------------------------------------------------- the hard gate


def _population():
    return Customer.objects.filter(merged_into__isnull=True)


def _verdict_sql(rules: dict, channel: str) -> tuple[str, list]:
    """One SELECT over every customer: in the segment or not, contactability's first reason
    for an offer (no window: that is checked when sending) and the flags it stores."""
    rows = (
        with_contact_checks(_population(), Purpose.OFFER, channel, reason="contact_reason")
        .annotate(
            in_segment=Case(
                When(compile_rules(rules), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values(
            "id",
            "in_segment",
            "contact_reason",
            blocked_flag(Reason.NO_CONSENT),
            blocked_flag("SENSITIVE_CASE"),
            blocked_flag(Reason.DO_NOT_CONTACT),
        )
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


# Not in the segment first (what a marketer must fix first), then contactability's reason.
REASON_SQL = f"""
    CASE WHEN NOT v.in_segment THEN '{NOT_IN_SEGMENT_RULE}' ELSE v.contact_reason END
"""


@transaction.atomic
def campaign_evaluate(*, actor, campaign: Campaign) -> dict:
    """Compute and store eligibility for every customer, set-based, with a reason each.

    Rows go in customer order: the indexes then grow at their right edge instead of at random
    places (a million-customer evaluation in about two thirds of the time).
    """
    authz.require(actor, CAMPAIGN_MANAGE)
    campaign = _locked(campaign, CampaignStatus.APPROVED)
    now = timezone.now()
    sql, params = _verdict_sql(campaign.segment_version.rules, campaign.channel)
    table = CampaignEligibility._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {table} (campaign_id, customer_id, in_segment, consent_granted,
                    open_sensitive_case, suppressed, is_eligible, reason, evaluated_at)
                SELECT %s, v.id, v.in_segment, NOT v.{blocked_flag(Reason.NO_CONSENT)},
                       v.{blocked_flag("SENSITIVE_CASE")}, v.{blocked_flag(Reason.DO_NOT_CONTACT)},
                       ({REASON_SQL}) = '', {REASON_SQL}, %s
                  FROM ({sql}) v
                 ORDER BY v.id""",  # noqa: S608 (SQL built by the ORM; values are parameters)
            [campaign.pk, now, *params],
        )
    campaign.evaluated_at = now
    campaign.save(update_fields=["evaluated_at"])
    counts = eligibility_counts(campaign)
    audit.record(actor=actor, action=AuditAction.EVALUATE_ELIGIBILITY, obj=campaign, meta=counts)
    return counts


def eligibility_counts(campaign: Campaign) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reason, count(*) FROM {CampaignEligibility._meta.db_table} "  # noqa: S608
            "WHERE campaign_id = %s GROUP BY reason",
            [campaign.pk],
        )
        by_reason = dict(cursor.fetchall())
    eligible = by_reason.pop("", 0)
    return {"eligible": eligible, "ineligible": dict(sorted(by_reason.items()))}
