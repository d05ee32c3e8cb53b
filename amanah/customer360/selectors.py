"""The Customer 360 workspace (US-02 – US-04): everything on one page, in a fixed number of
queries, with personal data masked on the server and every opening audited (VIEW_PROFILE)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.policies import TIMELINE_SENSITIVE
from amanah.consent.contract import (
    Contactability,
    ContactChannel,
    Purpose,
    contactability,
    current_states,
)
from amanah.consent.models import ChannelConsentState, ConsentStatus, ConsentType
from amanah.core import reads, registry
from amanah.core.masking import mask
from amanah.core.prepared import prepared
from amanah.customer360 import actions, alerts, timeline
from amanah.customers.models import (
    MASK_KIND,
    Customer,
    CustomerIdentifier,
    CustomerRelation,
    DuplicateFlag,
    PortfolioAssignment,
)
from amanah.customers.selectors import (
    customer_for,  # re-exported for the 360 views
    relation_rows,
)
from amanah.iam import authz


@dataclass
class Customer360:
    customer: Customer
    identifiers: list[dict]
    contact: dict
    consents: dict[str, str]
    consent_since: dict[str, datetime]
    rm_name: str
    # Per-channel withdrawals (an unsubscribe link, a STOP reply): [{type, channel, since}].
    channel_withdrawals: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    alerts: list = field(default_factory=list)
    events: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    offer: Contactability | None = None

    @property
    def marketing_blocked(self) -> bool:
        """May not be offered anything — consent's one rule, not a copy of it."""
        return self.offer is None or not self.offer.allowed

    @property
    def top_events(self):
        return self.events[:3]


def _identifiers(customer: Customer, actor) -> list[dict]:
    return [
        {
            "type": i.id_type,
            "label": i.get_id_type_display(),
            "masked": mask(MASK_KIND[i.id_type], i.id_value),
            "primary": i.is_primary,
            "verified": bool(i.verified_at),
        }
        for i in _visible_identifiers(actor, customer=customer)
    ]


@prepared(CustomerIdentifier, params=("customer",))
def _visible_identifiers(actor, *, customer):
    return (
        CustomerIdentifier.objects.visible_to(actor)
        .filter(customer=customer)
        .order_by("id_type", "-is_primary")
    )


def _consents(customer: Customer, actor) -> tuple[dict, dict]:
    states = current_states(customer, actor)
    return (
        {t: states[t].status if t in states else "" for t in ConsentType.values},
        {t: states[t].effective_at for t in states},
    )


def _channel_withdrawals(customer: Customer, actor) -> list[dict]:
    return [
        {
            "type": ConsentType(s.consent_type).label,
            "channel": s.get_channel_display(),
            "since": s.effective_at,
        }
        for s in _channels_withdrawn(actor, customer=customer)
    ]


@prepared(ChannelConsentState, params=("customer",))
def _channels_withdrawn(actor, *, customer):
    return (
        ChannelConsentState.objects.visible_to(actor)
        .filter(customer=customer, status=ConsentStatus.WITHDRAWN)
        .order_by("consent_type", "channel")
    )


@prepared(CustomerRelation, params=("customer",))
def _links(_actor, *, customer):
    return (
        CustomerRelation.objects.filter(Q(from_customer=customer) | Q(to_customer=customer))
        .select_related("from_customer", "to_customer")
        # What the page shows of a link: its type, label and the other side's name.
        .only(
            "relation_type",
            "label",
            "from_customer__full_name",
            "to_customer__full_name",
        )
    )


def _relations(customer: Customer, actor) -> list[dict]:
    """Links both ways (spouse, company, group) with their type; the other side's name only
    when the actor may open that customer too ("other" is None otherwise)."""
    return [
        {
            "other": row.other,
            "type": row.relation.get_relation_type_display(),
            "label": row.relation.label,
        }
        for row in relation_rows(actor, customer, _links(None, customer=customer))
    ]


def _rm_name(customer: Customer) -> str:
    return _rm_names.first(None, customer=customer) or ""


@prepared(PortfolioAssignment, params=("customer",))
def _rm_names(_actor, *, customer):
    return (
        PortfolioAssignment.objects.filter(customer=customer, active=True)
        .order_by("pk")
        .values_list("rm__full_name", flat=True)[:1]
    )


@prepared(DuplicateFlag, params=("customer",))
def _open_duplicate(_actor, *, customer):
    return DuplicateFlag.objects.filter(
        Q(customer_a=customer) | Q(customer_b=customer), status="OPEN"
    ).values_list("pk", flat=True)[:1]


def timeline_for(*, actor, customer: Customer, kinds=None, since=None, until=None, limit=50):
    return timeline.events_for(
        customer,
        actor=actor,
        kinds=kinds,
        since=since,
        until=until,
        limit=limit,
        include_sensitive=authz.has_perm(actor, TIMELINE_SENSITIVE),
    )


def customer_360(*, actor, customer_id) -> Customer360:
    # One view of the customer: the header, the offer check and the facts, cards and alerts of
    # the other apps share their reads of the same rows (consent states, contactability, RFM
    # scores, open cases: ``core.reads``). Nothing inside writes before the block ends.
    with reads.one_view():
        view = _customer_360(actor, customer_for(actor=actor, customer_id=customer_id))
    record_profile_view(
        actor=actor, customer=view.customer, part="360", alerts=[a.code for a in view.alerts]
    )
    return view


def _customer_360(actor, customer: Customer) -> Customer360:
    consents, since = _consents(customer, actor)
    view = Customer360(
        customer=customer,
        identifiers=_identifiers(customer, actor),
        contact={
            "phone": mask("phone", customer.phone_e164),
            "email": mask("email", customer.email),
        },
        consents=consents,
        consent_since=since,
        channel_withdrawals=reads.when_shown(lambda: _channel_withdrawals(customer, actor)),
        rm_name=_rm_name(customer),
        relations=_relations(customer, actor),
        actions=actions.actions_for(actor, customer),
        offer=contactability(customer, Purpose.OFFER, ContactChannel.PHONE),
    )
    view.facts["open_duplicates"] = bool(_open_duplicate(None, customer=customer))
    # Other apps contribute (open cases, sales, eligibility) through ``registry.facts``.
    for _key, source in registry.facts.items():
        view.facts.update(source(customer, actor))
    view.alerts = alerts.alerts_for(view)
    view.events = timeline_for(actor=actor, customer=customer, limit=20)
    return view


def record_profile_view(*, actor, customer: Customer, part: str, **meta) -> None:
    """VIEW_PROFILE for every read of a customer's profile, by page or by API."""
    with transaction.atomic():
        audit.record(
            actor=actor, action=AuditAction.VIEW_PROFILE, obj=customer, meta={"part": part, **meta}
        )


CONSENT_LABELS = {"GRANTED": _("Diberikan"), "WITHDRAWN": _("Ditarik"), "": _("Belum ada")}
