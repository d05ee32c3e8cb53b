"""Campaign reporting: aggregates, the audience size an approver decides on, and the
segment's members with the hard gate's verdict — masked (name initials and branch only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import ratelimit
from amanah.core.errors import ServiceError
from amanah.core.masking import mask
from amanah.customers.models import IdentifierType
from amanah.customers.validation import looks_like_phone, normalize_phone
from amanah.iam import authz
from amanah.marketing.models import (
    OUTCOME_TYPES,
    Campaign,
    CampaignChannel,
    CampaignEligibility,
    CampaignStatus,
    eligibility_reason_label,
)
from amanah.marketing.policies import CAMPAIGN_MEMBERS_VIEW
from amanah.marketing.services import audience_counts, candidate_channels, eligibility_counts
from amanah.messaging.contract import MessageSource
from amanah.messaging.selectors import source_totals


def campaign_report(campaign: Campaign) -> dict:
    """Eligibility, the send's outcomes (SENT = handed to the messaging hub, SKIPPED at the
    send's re-check), what the hub did with the messages (``hub``: delivered, opened,
    clicked … from the outbox and its engagement) and the leads the campaign produced."""
    events = dict(
        campaign.events.filter(event_type__in=OUTCOME_TYPES)
        .values_list("event_type")
        .annotate(n=Count("id"))
    )
    report = {"events": events, **eligibility_counts(campaign)}
    report["hub"] = source_totals(source=MessageSource.CAMPAIGN, source_id=str(campaign.pk))
    report["leads_created"], report["leads_won"] = _lead_counts(campaign)
    report["reason_labels"] = {r: eligibility_reason_label(r) for r in report["ineligible"]}
    return report


def _lead_counts(campaign: Campaign) -> tuple[int, int]:
    try:
        from amanah.sales.models import Lead
    except ImportError:  # the sales app is optional for the marketing module
        return 0, 0
    leads = Lead.objects.filter(source_type="CAMPAIGN", source_id=campaign.pk)
    return leads.count(), leads.filter(status="CLOSED_WON").count()


def audience_size(campaign: Campaign) -> dict | None:
    """What an approver decides on, while the campaign awaits a decision: the customers its
    frozen segment version matches now and how many of them may be contacted with an offer on
    the channels a send would choose among (``matching``, ``eligible``, ``channels`` their
    labels; the hard gate decides again before the send)."""
    if campaign.status != CampaignStatus.SUBMITTED or campaign.segment_version_id is None:
        return None
    channels = candidate_channels(campaign)
    counts = audience_counts(campaign.segment_version.rules, channels)
    return {**counts, "channels": [str(CampaignChannel(c).label) for c in channels]}


MEMBERS_PAGE = 50
ELIGIBLE = "ELIGIBLE"


@dataclass(frozen=True)
class Member:
    masked_name: str
    branch_code: str
    eligible: bool
    reason: str  # the code ('' when eligible)
    reason_label: str


def _member_key(term: str) -> Q:
    """The members whose CIF or phone is exactly ``term`` — never a name or a part of a
    number: the list says who is left out of a campaign and why, not who banks here."""
    term = " ".join((term or "").split())
    found = Q(pk__in=[])
    usable = False
    key = re.sub(r"[\s\-.]", "", term).upper()
    # A CIF has digits: a word alone (a name) is refused, not looked up as a CIF.
    if 3 <= len(key) <= 40 and key.isascii() and key.isalnum() and any(c.isdigit() for c in key):
        found |= Q(
            customer__identifiers__id_type=IdentifierType.CIF, customer__identifiers__id_value=key
        )
        usable = True
    if looks_like_phone(term):
        try:
            found |= Q(customer__phone_e164=normalize_phone(term))
            usable = True
        except ServiceError:
            pass
    if not usable:
        raise ServiceError(
            "query_invalid", _("Ketik CIF atau nomor telepon lengkap (bukan nama)."), field="q"
        )
    return found


def _search_checked(actor, campaign: Campaign, term: str) -> Q:
    """The search's filter, rate-limited like the customer search and audited as
    SEARCH_CUSTOMER with a keyed hash of the term (never the term)."""
    found = _member_key(term)
    with transaction.atomic():
        ratelimit.require_search_budget(actor, "campaign-member-search")
        audit.record(
            actor=actor,
            action=AuditAction.SEARCH_CUSTOMER,
            object_type="CAMPAIGN_MEMBERS",
            object_id=str(campaign.pk),
            meta={"query_hash": audit.keyed_hash(term)},
        )
    return found


def campaign_members(
    *, actor, campaign: Campaign, verdict: str = "", branch: str = "", q: str = "", page: int = 1
) -> dict:
    """The customers the campaign's segment matched at the last eligibility check, with the
    hard gate's verdict and reason, ``MEMBERS_PAGE`` a page in customer order (the unique
    index on campaign and customer). ``verdict``: ``ELIGIBLE`` or a reason code; ``branch``: a
    branch code. Customers outside the segment are not members and never listed. Only the
    masked name and the branch code are shown: who is left out and why, not who they are.
    ``q``: an exact CIF or phone number (``_member_key``; a name is refused), for "why was
    this customer left out?" — rate-limited and audited."""
    authz.require(actor, CAMPAIGN_MEMBERS_VIEW, campaign)
    rows = CampaignEligibility.objects.filter(campaign=campaign, in_segment=True)
    if q:
        rows = rows.filter(_search_checked(actor, campaign, q)).distinct()
    if verdict == ELIGIBLE:
        rows = rows.filter(is_eligible=True)
    elif verdict:
        rows = rows.filter(reason=verdict)
    if branch:
        rows = rows.filter(customer__home_branch__code=branch.strip().upper())
    start = (page - 1) * MEMBERS_PAGE
    chunk = list(
        rows.order_by("customer_id").values_list(
            "customer__full_name", "customer__home_branch__code", "is_eligible", "reason"
        )[start : start + MEMBERS_PAGE + 1]
    )
    return {
        "members": [
            Member(
                mask("name", name),
                code,
                eligible,
                reason,
                eligibility_reason_label(reason) if reason else "",
            )
            for name, code, eligible, reason in chunk[:MEMBERS_PAGE]
        ],
        "page": page,
        "has_next": len(chunk) > MEMBERS_PAGE,
    }


def abtest_summary(campaign: Campaign) -> dict | None:
    """The A/B box of the campaign page: the plan (sample size per variant, shown before
    anything is sent), per-variant counts from the hub, and the decision state — "belum
    selesai" until the horizon, then the stored decision (never an early leader)."""
    from datetime import timedelta

    from amanah.marketing import ab_services, abtest

    test = ab_services.abtest_of(campaign)
    if test is None:
        return None
    counts = ab_services.variant_counts(campaign, test)
    if test.decided_at is not None:
        state = abtest.State(test.decision)
    else:
        state = abtest.State.NOT_FINISHED
    horizon = (
        test.started_at + timedelta(hours=test.min_duration_hours) if test.started_at else None
    )
    return {
        "test": test,
        "rows": counts,
        "planned": test.planned_per_variant,
        "state": state.value,
        "state_label": abtest.STATE_LABELS[state],
        "winner": test.winner,
        "horizon": horizon,
        "undecided": test.decided_at is None,
        "can_decide": test.decided_at is None and campaign.status == CampaignStatus.RUNNING,
        "can_roll_out": test.decided_at is not None
        and test.rolled_out_at is None
        and campaign.status == CampaignStatus.RUNNING,
    }
