"""Segments and campaigns (seed 003 Bab 7.6, 8.3): every change audited, consent as a hard gate."""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import (
    Purpose,
    Reason,
    blocked_flag,
    with_channel_reasons,
    with_contact_checks,
)
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import optional_text
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.iam.contract import unknown_branch_codes
from amanah.marketing.models import (
    NO_ADDRESS,
    NOT_IN_SEGMENT_RULE,
    SENDABLE_CHANNELS,
    Campaign,
    CampaignChannel,
    CampaignEligibility,
    CampaignStatus,
    Segment,
    SegmentVersion,
)
from amanah.marketing.policies import CAMPAIGN_MANAGE, SEGMENT_MANAGE
from amanah.marketing.rules import compile_rules
from amanah.messaging.contract import (
    approved_version,
    choice_counts,
    placeholders,
    with_address_flags,
)
from amanah.workflow.contract import transition_apply

# --------------------------------------------------------------------------- segments


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 120:
        raise ServiceError("name_invalid", _("Nama 3–120 karakter."), field="name")
    return name


def _check_rules(rules) -> None:
    """The rules compile and every branch they name exists; an unknown code is refused with
    the branch field named (the builder shows it next to "Kode cabang")."""
    compile_rules(rules)
    for rule in rules["all"]:
        if rule.get("field") == "branch":
            unknown = unknown_branch_codes(rule["value"])
            if unknown:
                raise ServiceError(
                    "rule_invalid",
                    _("Kode cabang tidak dikenal: %(codes)s") % {"codes": ", ".join(unknown)},
                    field="branches",
                )


@transaction.atomic
def segment_create(*, actor, name: str, rules: dict, description: str = "") -> Segment:
    authz.require(actor, SEGMENT_MANAGE)
    _check_rules(rules)
    segment = Segment.objects.create(
        name=_clean_name(name),
        description=description.strip()[:500],
        created_by=user_or_none(actor),
    )
    SegmentVersion.objects.create(
        segment=segment, version=1, rules=rules, created_by=user_or_none(actor)
    )
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
    _check_rules(rules)
    latest = (
        SegmentVersion.objects.select_for_update(of=("self",), no_key=True)
        .filter(segment=segment)
        .order_by("-version")
        .first()
    )
    version = SegmentVersion.objects.create(
        segment=segment, version=latest.version + 1, rules=rules, created_by=user_or_none(actor)
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_SEGMENT,
        obj=segment,
        meta={"version": version.version, "rules": rules},
    )
    return version


def segment_preview(*, actor, rules: dict) -> dict:
    """Live counts for the builder: customers matching the rules and, of those, how many an
    offer could reach now on some channel the hub sends (no campaign yet, so no template to
    narrow them: the ceiling of any campaign on the segment)."""
    authz.require(actor, SEGMENT_MANAGE)
    return audience_counts(rules, SENDABLE_CHANNELS)


def audience_counts(rules: dict, channels) -> dict:
    """The customers ``rules`` match now and, of those, how many an offer on ``channels`` (in
    the sender's order, ``candidate_channels``) would reach now: messaging's one rule for the
    channel (``messaging.contract.choice_counts`` — the preference for OFFER first, then the
    next channel consent allows and the customer has an address on), as a send decides it;
    the send window is checked at sending. One statement per count, whatever the audience.
    The builder's live counts and the size an approver decides on."""
    matching = _population().filter(compile_rules(rules))
    chosen = choice_counts(matching, Purpose.OFFER, channels)
    eligible = sum(n for (channel, _reason), n in chosen.items() if channel)
    return {"matching": matching.count(), "eligible": eligible}


# --------------------------------------------------------------------------- campaign lifecycle


TEMPLATE_KEY_MAX = 64
PROMO_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    segment: Segment,
    channel: str,
    template_key: str = "",
    promo_code: str = "",
    message: str = "",
    objective: str = "",
) -> Campaign:
    """A DRAFT campaign. ``template_key`` names the messaging template (purpose OFFER) of
    ``channel`` its customers receive; whether it has an approved version is checked when the
    campaign is submitted, approved and sent (``require_sendable``). ``message`` is an
    internal note for the approver, never sent."""
    authz.require(actor, CAMPAIGN_MANAGE)
    if channel not in CampaignChannel.values:
        raise ServiceError("channel_invalid", _("Pilih kanal kampanye."), field="channel")
    if channel not in SENDABLE_CHANNELS:
        raise ServiceError("channel_unavailable", str(CHANNEL_UNAVAILABLE), field="channel")
    template_key = (template_key or "").strip()
    if len(template_key) > TEMPLATE_KEY_MAX or not template_key.isprintable():
        raise ServiceError(
            "template_invalid", _("Kunci templat tidak valid."), field="template_key"
        )
    promo_code = (promo_code or "").strip().upper()
    if promo_code and not PROMO_CODE.fullmatch(promo_code):
        raise ServiceError(
            "promo_code_invalid",
            _("Kode promo 1–32 huruf besar, angka atau tanda hubung."),
            field="promo_code",
        )
    campaign = Campaign.objects.create(
        name=_clean_name(name),
        segment=segment,
        channel=channel,
        template_key=template_key,
        promo_code=promo_code,
        message=optional_text(message, max_length=2000),
        objective=objective.strip(),
        created_by=user_or_none(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_CAMPAIGN,
        obj=campaign,
        meta={"segment": str(segment.pk), "channel": channel, "template": template_key},
    )
    return campaign


CHANNEL_UNAVAILABLE = gettext_lazy(
    "Notifikasi aplikasi belum tersedia untuk nasabah; pilih email, WhatsApp atau SMS."
)


def require_sendable(campaign: Campaign, *, template_key=None, channel=None, prefix: str = ""):
    """The template version the campaign would send now, or a clear refusal: the channel must
    be one the hub sends, the template must exist for it with purpose OFFER and an APPROVED
    version, and a template using ``{{promo.code}}`` needs the campaign's promo code.

    Asked when the campaign is submitted, approved and sent (``campaign_on_apply``), so no
    path — however the workflow's guards are configured — sends an unapproved text. An A/B
    variant asks it with its own ``template_key``/``channel`` (blank: the campaign's) and
    ``prefix`` naming its fields (``b_template_key``)."""
    template_key = template_key or campaign.template_key
    channel = channel or campaign.channel
    if channel not in SENDABLE_CHANNELS:
        raise ServiceError(
            "channel_unavailable", str(CHANNEL_UNAVAILABLE), field=f"{prefix}channel"
        )
    if not template_key:
        raise ServiceError(
            "template_required",
            _("Pilih templat pesan (penawaran) untuk kampanye ini."),
            field=f"{prefix}template_key",
        )
    try:
        version = approved_version(template_key, channel)
    except ServiceError as refused:
        if prefix:
            refused.field = f"{prefix}template_key"
        raise
    if version.template.purpose != Purpose.OFFER:
        raise ServiceError(
            "template_purpose",
            _("Templat %(key)s bukan templat penawaran (OFFER).") % {"key": template_key},
            field=f"{prefix}template_key",
        )
    uses = set(placeholders(version.subject) + placeholders(version.text))
    uses |= set(placeholders(version.html))
    if "promo.code" in uses and not campaign.promo_code:
        raise ServiceError(
            "promo_code_required",
            _("Templat ini memakai {{promo.code}}: isi kode promo kampanye dulu."),
            field="promo_code",
        )
    return version


def other_channel_versions(campaign: Campaign) -> dict:
    """``{channel: approved version}`` of the campaign's template on the sendable channels
    other than its own, in their order: where a customer who prefers one of them gets the
    offer (``messaging.contract.channel_choices``). None for an A/B test — its variants are
    compared on their own channels — nor where the template is not sendable (not approved,
    not an offer)."""
    from amanah.marketing.ab_services import abtest_of

    if not campaign.template_key or abtest_of(campaign) is not None:
        return {}
    found = {}
    for channel in SENDABLE_CHANNELS:
        if channel == campaign.channel:
            continue
        try:
            found[str(channel)] = require_sendable(campaign, channel=channel)
        except ServiceError:
            continue
    return found


def candidate_channels(campaign: Campaign) -> tuple:
    """The channels a send of ``campaign`` would choose among if it started now, in its
    order: its own, then each other one its template is approved on as an offer
    (:func:`other_channel_versions`, frozen as ``channel_versions`` when the send starts and
    read back by ``sending._send_plan``)."""
    return (campaign.channel, *other_channel_versions(campaign))


def _locked(campaign: Campaign, *allowed: str) -> Campaign:
    """The campaign row, locked, for work that is not a status change (evaluation)."""
    campaign = Campaign.objects.select_for_update(of=("self",), no_key=True).get(pk=campaign.pk)
    if campaign.status not in allowed:
        raise ServiceError(
            "status_invalid", _("Kampanye berstatus %s; aksi ini tidak berlaku.") % campaign.status
        )
    return campaign


# Status changes go through the workflow ``marketing.campaign`` (see marketing.contract):
# DRAFT/REJECTED → SUBMITTED → APPROVED/REJECTED; APPROVED → RUNNING (sending.campaign_execute);
# RUNNING → DONE (the send worker, after the last batch).


def is_campaign_author(campaign: Campaign, actor) -> bool:
    """Four eyes (seed 003 Bab 8.3): the author never approves or rejects their own campaign."""
    return bool(campaign.created_by_id) and campaign.created_by_id == getattr(actor, "pk", None)


def decided_by_someone_else(campaign: Campaign, data: dict) -> bool:
    """Workflow guard: the four-eyes rule for approve and reject."""
    return not is_campaign_author(campaign, data["actor"])


def is_evaluated(campaign: Campaign, data: dict) -> bool:
    """Workflow guard: a send needs the hard gate's verdicts first."""
    return campaign.evaluated_at is not None


def campaign_on_apply(campaign: Campaign, *, transition, data: dict, at) -> list[str]:
    """What a status change implies: submission freezes the segment's current version, a
    decision keeps its note (and the approver), the start of the send the template version,
    the end of the send its time. Submission, approval and the start of the send also need a
    sendable template (``require_sendable``)."""
    from amanah.marketing.ab_services import variants_on_apply

    to = transition.to_status
    if to in (CampaignStatus.SUBMITTED, CampaignStatus.APPROVED, CampaignStatus.RUNNING):
        version = require_sendable(campaign)  # a refusal undoes the whole move
        # A/B: every variant must be sendable too; the start of the send freezes theirs.
        variants_on_apply(campaign, start=to == CampaignStatus.RUNNING, at=at)
        if to == CampaignStatus.RUNNING:
            # Frozen: every batch sends this version, whatever is approved meanwhile — on
            # the campaign's channel and on each other channel its template is approved on.
            campaign.template_version = version.number
            campaign.channel_versions = {
                channel: other.number for channel, other in other_channel_versions(campaign).items()
            }
            return ["template_version", "channel_versions"]
    if to == CampaignStatus.SUBMITTED:
        campaign.segment_version, campaign.submitted_at = campaign.segment.current, at
        return ["segment_version", "submitted_at"]
    if to in (CampaignStatus.APPROVED, CampaignStatus.REJECTED):
        campaign.decision_note = optional_text(data.get("note"), max_length=500)
        if to == CampaignStatus.REJECTED:
            return ["decision_note"]
        campaign.approved_by, campaign.approved_at = user_or_none(data["actor"]), at
        return ["decision_note", "approved_by", "approved_at"]
    if to == CampaignStatus.DONE:
        campaign.executed_at = data.get("finished_at") or at
        return ["executed_at"]
    return []


def campaign_submit(*, actor, campaign: Campaign) -> Campaign:
    """Freeze the segment's current version and ask for approval."""
    return transition_apply(actor=actor, obj=campaign, to=CampaignStatus.SUBMITTED)


def campaign_approve(*, actor, campaign: Campaign, note: str = "") -> Campaign:
    return transition_apply(actor=actor, obj=campaign, to=CampaignStatus.APPROVED, note=note)


def campaign_reject(*, actor, campaign: Campaign, note: str) -> Campaign:
    if len((note or "").strip()) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan penolakan (minimal 10 karakter)."), field="note"
        )
    return transition_apply(actor=actor, obj=campaign, to=CampaignStatus.REJECTED, note=note)


# --------------------------------------------------------------------------- the hard gate


def _population():
    return Customer.objects.filter(merged_into__isnull=True)


OTHER_REASON = "other_reason_"
HAS_ADDRESS = "has_address_"


def _verdict_sql(rules: dict, channel: str, others=()) -> tuple[str, list]:
    """One SELECT over every customer: in the segment or not, contactability's first reason
    for an offer on the campaign's channel (no window: that is checked when sending) and the
    flags it stores, and its reason on each of the ``others`` channels (``other_reason_<c>``):
    a customer the campaign's channel refuses (they prefer another, or withdrew this one) is
    still eligible when another channel of the campaign may reach them."""
    population = with_contact_checks(_population(), Purpose.OFFER, channel, reason="contact_reason")
    if others:
        population = with_channel_reasons(population, Purpose.OFFER, others, prefix=OTHER_REASON)
    population = with_address_flags(population, (channel, *others), HAS_ADDRESS)
    rows = population.annotate(
        in_segment=Case(
            When(compile_rules(rules), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    ).values(
        "id",
        "in_segment",
        "contact_reason",
        blocked_flag(Reason.NO_CONSENT),
        blocked_flag("SENSITIVE_CASE"),
        blocked_flag(Reason.DO_NOT_CONTACT),
        *(OTHER_REASON + c for c in others),
        *(HAS_ADDRESS + c for c in (channel, *others)),
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _reason_sql(channel: str, others=()) -> str:
    """Not in the segment first (what a marketer must fix first); then eligible when any of
    the campaign's channels may reach the customer — contactability allows it and the
    customer has an address there, as the send will choose (``messaging.channel_choices``);
    else the reason on the first channel they have an address on, the campaign's own first;
    else ``NO_ADDRESS`` when no channel of the campaign reaches them."""
    own = (channel, "v.contact_reason")
    channels = [own, *((c, f'v."{OTHER_REASON}{c}"') for c in others)]
    reachable = "".join(
        f""" WHEN v."{HAS_ADDRESS}{c}" AND {reason} = '' THEN ''""" for c, reason in channels
    )
    refused = "".join(f""" WHEN v."{HAS_ADDRESS}{c}" THEN {reason}""" for c, reason in channels)
    return f"""
    CASE WHEN NOT v.in_segment THEN '{NOT_IN_SEGMENT_RULE}'{reachable}{refused}
         WHEN v.contact_reason <> '' THEN v.contact_reason ELSE '{NO_ADDRESS}' END
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
    others = [c for c in other_channel_versions(campaign) if c.isalnum()]
    sql, params = _verdict_sql(campaign.segment_version.rules, campaign.channel, others)
    reason_sql = _reason_sql(campaign.channel, others)
    table = CampaignEligibility._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {table} (campaign_id, customer_id, in_segment, consent_granted,
                    open_sensitive_case, suppressed, is_eligible, reason, evaluated_at)
                SELECT %s, v.id, v.in_segment, NOT v.{blocked_flag(Reason.NO_CONSENT)},
                       v.{blocked_flag("SENSITIVE_CASE")}, v.{blocked_flag(Reason.DO_NOT_CONTACT)},
                       ({reason_sql}) = '', {reason_sql}, %s
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
    # Customers outside the segment were never candidates: they are counted apart, not as
    # ineligible (issue 16: the whole bank outside the segment is not a reason to fix).
    outside = by_reason.pop(NOT_IN_SEGMENT_RULE, 0)
    return {
        "eligible": eligible,
        "ineligible": dict(sorted(by_reason.items())),
        "outside_segment": outside,
    }
