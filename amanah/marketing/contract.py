"""Marketing in the menu and on the Customer 360: "Kenapa saya melihat ini?", campaign events on
the timeline, the merge mover of its history, and the campaign workflow (transitions, guards)."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.audit.models import AuditAction
from amanah.consent.contract import Reason, contactability
from amanah.core import events, reads, registry
from amanah.core.contributions import (
    NavItem,
    TemplateVariable,
    TimelineEvent,
    TimelineKind,
    TimelineProvider,
    in_window,
    timeline_read,
)
from amanah.core.prepared import prepared
from amanah.marketing import policies, sending, services
from amanah.marketing import subject as _subject_section
from amanah.marketing.models import (
    OUTCOME_TYPES,
    Campaign,
    CampaignEligibility,
    CampaignEvent,
)
from amanah.marketing.models import CampaignStatus as S
from amanah.marketing.policies import CAMPAIGN_VIEW, SEGMENT_MANAGE
from amanah.messaging.contract import MessageSource, approval_notify, register_source_labels
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
    times_moved_to,
)

__all__ = [
    "campaign_events",
    "campaign_moved",
    "campaign_names",
    "marketing_facts",
    "move_marketing",
]


@prepared(CampaignEligibility, params=("customer",))
def _eligibility(actor, *, customer):
    return (
        CampaignEligibility.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("campaign")
        .only("reason", "is_eligible", "evaluated_at", "campaign__name")  # what the tab shows
        .order_by("-evaluated_at")[:20]
    )


def marketing_facts(customer, actor) -> dict:
    """Eligibility per campaign with its reason and flags, for the Marketing tab (read only
    when the tab is shown); "suppressed" is a yes/no every viewer of the customer may know."""
    return {
        "eligibility": reads.when_shown(lambda: _eligibility(actor, customer=customer)),
        "suppressed": Reason.DO_NOT_CONTACT in contactability(customer, "OFFER", "PHONE").reasons,
    }


@timeline_read(CampaignEvent)
def _campaign_events(actor, *, customer, since, until, limit):
    return in_window(
        CampaignEvent.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("campaign")
        .only("at", "event_type", "channel", "campaign__name"),
        "at",
        since,
        until,
    ).order_by("-at")[:limit]


def campaign_events(customer, *, actor, since=None, until=None, limit=50):
    rows = _campaign_events(actor, customer=customer, since=since, until=until, limit=limit)
    return [
        TimelineEvent(
            at=e.at,
            kind="MARKETING",
            title=f"{e.campaign.name}: {e.get_event_type_display()}",
            detail=_("Kanal %s") % e.get_channel_display(),
        )
        for e in rows
    ]


def move_marketing(absorbed, survivor) -> int:
    """Merge mover: history stays with the person; the survivor's own verdicts win on conflict."""
    taken = set(
        CampaignEligibility.objects.filter(customer=survivor).values_list("campaign_id", flat=True)
    )
    CampaignEligibility.objects.filter(customer=absorbed, campaign_id__in=taken).delete()
    moved = CampaignEligibility.objects.filter(customer=absorbed).update(customer=survivor)
    for event in CampaignEvent.objects.filter(customer=absorbed):
        # One outcome (SENT or SKIPPED) per campaign and customer: the survivor's wins.
        same = list(OUTCOME_TYPES) if event.event_type in OUTCOME_TYPES else [event.event_type]
        if CampaignEvent.objects.filter(
            customer=survivor, campaign=event.campaign, event_type__in=same
        ).exists():
            event.delete()
        else:
            CampaignEvent.objects.filter(pk=event.pk).update(customer=survivor)
    return moved


registry.navigation.register(
    "marketing.campaigns",
    NavItem(gettext_lazy("Kampanye"), "marketing:campaign_list", CAMPAIGN_VIEW),
    order=60,
)
registry.navigation.register(
    "marketing.segments",
    NavItem(gettext_lazy("Segmen"), "marketing:segment_list", SEGMENT_MANAGE),
    order=70,
)
registry.timeline_kinds.register("MARKETING", TimelineKind(gettext_lazy("Pemasaran")), order=30)
registry.timeline_providers.register(
    "marketing.events", TimelineProvider("MARKETING", campaign_events)
)
registry.facts.register("marketing", marketing_facts)
registry.merge_movers.register("marketing.history", move_marketing)


def campaign_names(ids: list[str]) -> dict[str, str]:
    """Campaign names for the outbox's pages (channel analytics name the campaign)."""
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    rows = Campaign.objects.filter(pk__in=valid).values_list("pk", "name")
    return {str(pk): name for pk, name in rows}


register_source_labels(MessageSource.CAMPAIGN, campaign_names)


def _promo_code(context) -> str:
    promo = context["promo"]
    return promo.get("code", "") if isinstance(promo, dict) else getattr(promo, "code", "")


# Placeholders message templates may use (messaging's allow-list): an offer names its campaign
# and the promo code the sender hands over with it.
registry.template_variables.register(
    "campaign.name",
    TemplateVariable(
        gettext_lazy("Nama kampanye"), "campaign", lambda c: c["campaign"].name, "Tabungan Emas"
    ),
)
registry.template_variables.register(
    "promo.code", TemplateVariable(gettext_lazy("Kode promo"), "promo", _promo_code, "EMAS2026")
)


# --------------------------------------------------------------------------- workflow

FOUR_EYES = register_guard(
    "marketing.campaign.four_eyes",
    services.decided_by_someone_else,
    message=gettext_lazy("Pembuat kampanye tidak boleh menyetujui/menolak kampanyenya sendiri."),
)
EVALUATED = register_guard(
    "marketing.campaign.evaluated",
    services.is_evaluated,
    message=gettext_lazy("Jalankan cek kelayakan dulu."),
)
ALL_SENT = register_guard(
    "marketing.campaign.all_batches_done",
    sending.all_batches_done,
    message=gettext_lazy("Masih ada batch pengiriman yang belum selesai."),
)
declare_workflow(
    WorkflowSpec(
        key="marketing.campaign",
        model="marketing.Campaign",
        status_field="status",
        label=gettext_noop("Kampanye"),
        on_apply=services.campaign_on_apply,
        transitions=(
            TransitionSpec(
                S.DRAFT,
                S.SUBMITTED,
                policies.CAMPAIGN_MANAGE,
                gettext_noop("Ajukan untuk persetujuan"),
                audit_action=AuditAction.SUBMIT_CAMPAIGN,
            ),
            TransitionSpec(
                S.REJECTED,
                S.SUBMITTED,
                policies.CAMPAIGN_MANAGE,
                gettext_noop("Ajukan ulang"),
                audit_action=AuditAction.SUBMIT_CAMPAIGN,
            ),
            TransitionSpec(
                S.SUBMITTED,
                S.APPROVED,
                policies.CAMPAIGN_APPROVE,
                gettext_noop("Setujui"),
                guard=FOUR_EYES,
                audit_action=AuditAction.APPROVE_CAMPAIGN,
            ),
            TransitionSpec(
                S.SUBMITTED,
                S.REJECTED,
                policies.CAMPAIGN_APPROVE,
                gettext_noop("Tolak"),
                guard=FOUR_EYES,
                required=("note",),
                audit_action=AuditAction.REJECT_CAMPAIGN,
            ),
            TransitionSpec(
                S.APPROVED,
                S.RUNNING,
                policies.CAMPAIGN_MANAGE,
                gettext_noop("Jalankan kampanye"),
                guard=EVALUATED,
                audit_action=AuditAction.EXECUTE_CAMPAIGN,
            ),
            TransitionSpec(
                S.RUNNING,
                S.DONE,
                policies.CAMPAIGN_FINISH,
                gettext_noop("Selesai"),
                guard=ALL_SENT,
                audit_action=AuditAction.EXECUTE_CAMPAIGN,
            ),
        ),
    )
)


def campaign_moved(*, actor, obj, from_status: str, to_status: str, revert: bool) -> None:
    """Submitted → the campaign approvers are told (IN_APP, through the messaging hub);
    approved or rejected → its author. Numbered per move: a campaign may be submitted again."""
    from django.urls import reverse

    from amanah.iam.contract import holders_of
    from amanah.messaging.contract import MessageSource

    if revert:
        return
    if to_status == S.SUBMITTED:
        users = holders_of(policies.CAMPAIGN_APPROVE)
        title = _("Kampanye “%(name)s” menunggu persetujuan Anda")
    elif to_status in (S.APPROVED, S.REJECTED) and obj.created_by_id:
        users = [obj.created_by]
        title = (
            _("Kampanye “%(name)s” disetujui")
            if to_status == S.APPROVED
            else _("Kampanye “%(name)s” ditolak")
        )
    else:
        return
    approval_notify(
        actor=actor,
        users=users,
        title=title % {"name": obj.name[:120]},
        url=reverse("marketing:campaign_detail", args=[obj.pk]),
        source=MessageSource.APPROVAL,
        source_id=f"campaign:{obj.pk}",
        step=f"{to_status}:{times_moved_to('marketing.campaign', obj, to_status)}",
    )


events.on("marketing.campaign.transitioned", campaign_moved)


def _campaign_names(ids: list[str]) -> dict[str, str]:
    rows = Campaign.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "name")
    return {str(pk): name for pk, name in rows}


# The audit viewer names a campaign by its name.
register_object_labels("marketing.Campaign", label=gettext_lazy("Kampanye"), names=_campaign_names)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("marketing", _subject_section.SECTION)
