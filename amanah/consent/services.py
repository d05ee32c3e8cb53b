"""Consent and do-not-contact changes (UU PDP; seed 003 US-10, seed 001 §5).

Who may be contacted is answered by ``consent.contactability`` (published in ``contract``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.models import (
    SELF_SERVICE_CAPTURE,
    SELF_SERVICE_VERIFICATION_METHODS,
    CaptureChannel,
    ChannelConsentState,
    ConsentRecord,
    ConsentState,
    ConsentStatus,
    ConsentType,
    ContactChannel,
    Suppression,
    VerificationMethod,
)
from amanah.consent.policies import (
    CONSENT_CHANGE,
    CONSENT_WITHDRAW_CHANNEL,
    ROLES_NEVER_CHANGING_CONSENT,
)
from amanah.core import events, reads
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import ServiceError
from amanah.core.prepared import prepared
from amanah.customers.models import Customer
from amanah.customers.policies import CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH
from amanah.iam import authz

logger = logging.getLogger(__name__)

# The customer acting on their own (unsubscribe link, STOP reply): may find a customer of any
# branch and withdraw consent for one channel, nothing else.
CUSTOMER_REQUEST = declare_actor(
    "customer-request",
    permissions=(CONSENT_WITHDRAW_CHANNEL, CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH),
    all_branches=True,
)
# How the customer withdrew on their own, per source: the record's verification method.
SELF_SERVICE_VERIFICATION = {
    CaptureChannel.EMAIL_LINK: VerificationMethod.SIGNED_LINK,
    CaptureChannel.WHATSAPP: VerificationMethod.REGISTERED_NUMBER,
    CaptureChannel.SMS: VerificationMethod.REGISTERED_NUMBER,
}
# The channels a STOP reply can arrive on, and the capture source it is recorded under.
REPLY_SOURCES = {
    ContactChannel.WHATSAPP: CaptureChannel.WHATSAPP,
    ContactChannel.SMS: CaptureChannel.SMS,
}

# A signed paper form may arrive a few days late; anything older needs a new request.
MAX_BACKDATE = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)


# Emitted by every consent change (``customer``, ``record``): e.g. messaging cancels the queued
# offers of a customer who withdrew.
CONSENT_CHANGED = "consent.consent_changed"
# The customer's own withdrawal for one channel (unsubscribe link, STOP reply), with the
# sender's ``ref`` from the link ("" for a reply): messaging counts it against the message.
CHANNEL_OPTED_OUT = "consent.channel_opted_out"
# A customer put on the do-not-contact list (``customer``, ``suppression``), emitted once, in
# the transaction that adds it: e.g. the follow-up desk lets the customer go.
SUPPRESSION_ADDED = "consent.suppression_added"


def _validate(
    consent_type, new_status, channel, verification_method, effective_at, reason, contact_channel
) -> None:
    if consent_type not in ConsentType.values:
        raise ServiceError(
            "consent_type_invalid", _("Jenis persetujuan tidak dikenal."), field="consent_type"
        )
    if contact_channel and contact_channel not in ContactChannel.values:
        raise ServiceError(
            "contact_channel_invalid",
            _("Kanal kontak tidak dikenal."),
            field="contact_channel",
        )
    if new_status not in ConsentStatus.values:
        raise ServiceError(
            "status_invalid", _("Status persetujuan tidak dikenal."), field="new_status"
        )
    if channel not in CaptureChannel.values:
        raise ServiceError("channel_invalid", _("Kanal tidak dikenal."), field="channel")
    if verification_method not in VerificationMethod.values:
        raise ServiceError(
            "verification_required",
            _("Metode verifikasi wajib dipilih."),
            field="verification_method",
        )
    now = timezone.now()
    if effective_at > now + MAX_CLOCK_SKEW:
        raise ServiceError(
            "effective_future",
            _("Tanggal berlaku tidak boleh di masa depan."),
            field="effective_at",
        )
    if effective_at < now - MAX_BACKDATE:
        raise ServiceError(
            "effective_too_old",
            _("Tanggal berlaku paling lama 30 hari lalu."),
            field="effective_at",
        )
    if len(reason) > 500:
        raise ServiceError("reason_too_long", _("Alasan maks. 500 karakter."), field="reason")


def may_change_consent(actor) -> bool:
    """Whether ``actor`` may record consent or do-not-contact changes at all (no customer).

    Marketing never may — a conflict of interest, whatever the permission matrix says. The one
    copy of that rule: services check it through :func:`require_may_change_consent`, pages
    ask this to show or hide the form.
    """
    if getattr(actor, "active_role", "") in ROLES_NEVER_CHANGING_CONSENT:
        return False
    return authz.has_perm(actor, CONSENT_CHANGE)


def require_may_change_consent(actor, customer: Customer) -> None:
    if getattr(actor, "active_role", "") in ROLES_NEVER_CHANGING_CONSENT:
        raise PermissionDenied("marketing never changes consent")  # even if the matrix says so
    authz.require(actor, CONSENT_CHANGE, customer)


@transaction.atomic
def consent_change(
    *,
    actor,
    customer: Customer,
    consent_type: str,
    new_status: str,
    channel: str,
    verification_method: str,
    reason: str = "",
    effective_at: datetime | None = None,
    contact_channel: str = "",
) -> ConsentRecord:
    """Record a consent change the customer asked for; takes effect at once for eligibility.

    ``contact_channel`` blank: the change covers every channel (the per-type state). A
    channel: it covers that channel only (the per-channel state), e.g. "no marketing by
    email" while WhatsApp offers stay allowed.
    """
    require_may_change_consent(actor, customer)
    _refuse_self_service_claims(channel, verification_method)
    return _record_change(
        actor=actor,
        customer=customer,
        consent_type=consent_type,
        new_status=new_status,
        channel=channel,
        verification_method=verification_method,
        reason=reason,
        effective_at=effective_at,
        contact_channel=contact_channel or "",
    )


def _refuse_self_service_claims(channel: str, verification_method: str) -> None:
    """Staff record what the customer asked them; only the link and the STOP reply may say
    the customer withdrew on their own."""
    if channel in SELF_SERVICE_CAPTURE:
        raise ServiceError(
            "channel_invalid",
            _("Kanal ini hanya untuk penarikan oleh nasabah sendiri."),
            field="channel",
        )
    if verification_method in SELF_SERVICE_VERIFICATION_METHODS:
        raise ServiceError(
            "verification_invalid",
            _("Metode verifikasi ini hanya untuk penarikan oleh nasabah sendiri."),
            field="verification_method",
        )


def _record_change(
    *,
    actor,
    customer,
    consent_type,
    new_status,
    channel,
    verification_method,
    reason,
    effective_at,
    contact_channel,
    opted_out_ref: str | None = None,
) -> ConsentRecord:
    """The one write path of a consent change, after the caller checked who may make it.
    ``opted_out_ref`` (not None) marks the customer's own withdrawal of one channel: the
    event ``CHANNEL_OPTED_OUT`` follows ``CONSENT_CHANGED``."""
    backdated = effective_at is not None
    effective_at = effective_at or timezone.now()
    reason = (reason or "").strip()
    _validate(
        consent_type,
        new_status,
        channel,
        verification_method,
        effective_at,
        reason,
        contact_channel,
    )
    lock_customer_for_consent(customer.pk)
    if not backdated:
        effective_at = timezone.now()  # taken under the lock: changes order as they commit
    old_status = current_status(customer, consent_type, contact_channel)
    if old_status == new_status:
        raise ServiceError(
            "no_change", _("Status persetujuan sudah %s.") % new_status, field="new_status"
        )
    record = ConsentRecord.objects.create(
        customer=customer,
        consent_type=consent_type,
        old_status=old_status,
        new_status=new_status,
        effective_at=effective_at,
        captured_channel=channel,
        captured_by=user_or_none(actor),
        verification_method=verification_method,
        reason=reason,
        contact_channel=contact_channel,
    )
    _refresh_state(customer, consent_type, contact_channel)
    events.emit(CONSENT_CHANGED, actor=actor, customer=customer, record=record)
    if opted_out_ref is not None:
        events.emit(
            CHANNEL_OPTED_OUT,
            actor=actor,
            customer=customer,
            record=record,
            channel=contact_channel,
            ref=opted_out_ref,
        )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_CONSENT,
        obj=customer,
        meta={
            "consent_type": consent_type,
            "old": old_status,
            "new": new_status,
            "channel": channel,
            "verification": verification_method,
            "record": str(record.pk),
            "contact_channel": contact_channel,
        },
    )
    return record


@transaction.atomic
def consent_withdraw_channel(
    *,
    actor,
    customer: Customer,
    consent_type: str,
    channel: str,
    source: str,
    reason: str = "",
    verification_method: str = "",
    ref: str = "",
) -> ConsentRecord | None:
    """The customer withdraws ``consent_type`` for one ``channel`` at once (an unsubscribe
    link, a STOP reply, or staff on their request), recorded with ``source`` as the capture
    channel: history, state, event and CHANGE_CONSENT audit as every consent change. The
    link and the replies verify themselves (signed link, registered number); staff name how
    they verified the customer (``verification_method``).

    Idempotent: ``None`` when that channel is already withdrawn (a replayed link or a second
    STOP changes nothing and records nothing).

    The customer's own withdrawal (a self-service ``source``: link or reply) also emits
    ``CHANNEL_OPTED_OUT`` with ``ref`` (the link's, opaque to consent).
    """
    if getattr(actor, "active_role", "") in ROLES_NEVER_CHANGING_CONSENT:
        raise PermissionDenied("marketing never changes consent")
    may_self_serve = authz.has_perm(actor, CONSENT_WITHDRAW_CHANNEL)
    authz.require(actor, CONSENT_WITHDRAW_CHANNEL if may_self_serve else CONSENT_CHANGE, customer)
    if not channel or channel not in ContactChannel.values:
        raise ServiceError(
            "contact_channel_invalid", _("Kanal kontak tidak dikenal."), field="channel"
        )
    if not may_self_serve:
        _refuse_self_service_claims(source, verification_method)
    lock_customer_for_consent(customer.pk)
    if current_status(customer, consent_type, channel) == ConsentStatus.WITHDRAWN:
        return None
    return _record_change(
        actor=actor,
        customer=customer,
        consent_type=consent_type,
        new_status=ConsentStatus.WITHDRAWN,
        channel=source,
        verification_method=verification_method or SELF_SERVICE_VERIFICATION.get(source, ""),
        reason=reason,
        effective_at=None,
        contact_channel=channel,
        opted_out_ref=ref if source in SELF_SERVICE_VERIFICATION else None,
    )


@transaction.atomic
def consent_withdraw_by_reply(*, channel: str, from_address: str) -> list[ConsentRecord]:
    """A STOP reply on WhatsApp or SMS (the caller checked ``is_stop_reply``): MARKETING is
    withdrawn on that channel for every customer with that phone number (several people may
    share one), each recorded and audited. An unknown or unreadable number changes nothing.

    Returns the records made (empty when every match had already withdrawn, or none matched).
    """
    from amanah.customers.validation import normalize_phone

    source = REPLY_SOURCES.get(channel)
    if source is None:
        raise ServiceError(
            "contact_channel_invalid",
            _("Balasan STOP hanya lewat WhatsApp atau SMS."),
            field="channel",
        )
    try:
        phone = normalize_phone(from_address)
    except ServiceError:
        phone = ""
    if not phone:
        logger.info("STOP reply on %s from an unreadable number: ignored", channel)
        return []
    customers = (
        Customer.objects.visible_to(CUSTOMER_REQUEST)
        .filter(phone_e164=phone, merged_into__isnull=True)
        .order_by("pk")  # one lock order for every caller: no deadlock between two replies
    )
    records = [
        consent_withdraw_channel(
            actor=CUSTOMER_REQUEST,
            customer=customer,
            consent_type=ConsentType.MARKETING,
            channel=channel,
            source=source,
            reason=_("Nasabah membalas STOP"),
        )
        for customer in customers
    ]
    made = [r for r in records if r is not None]
    logger.info("STOP reply on %s: %d customer(s), %d withdrawn", channel, len(records), len(made))
    return made


def current_status(customer: Customer, consent_type: str, contact_channel: str = "") -> str:
    """The current status of one consent type, overall (blank channel) or on one channel;
    ``''`` when never recorded."""
    if contact_channel:
        states = ChannelConsentState.objects.filter(channel=contact_channel)
    else:
        states = ConsentState.objects.all()
    state = states.filter(customer=customer, consent_type=consent_type).first()
    return state.status if state else ""


def lock_customer_for_consent(customer_id) -> None:
    """Serialize every consent change of one customer on the customer's row.

    Locking the state row is not enough: before the first-ever change there is no row, so two
    first changes would both read "no state" and both record old status ``''``. FOR NO KEY
    UPDATE blocks other consent changes and a campaign batch's FOR SHARE on the customer
    (so a withdrawal lands either before the batch reads consent or after it commits), but
    not the FOR KEY SHARE that inserts referencing the customer take elsewhere.
    """
    list(
        Customer.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=customer_id)
        .values_list("pk", flat=True)
    )


def _refresh_state(customer: Customer, consent_type: str, contact_channel: str = "") -> None:
    """The active state is the latest effective record (a back-dated record may not be it),
    per type overall or per type and channel."""
    latest = _latest_record.first(
        None,
        customer=customer,
        consent_type=consent_type,
        contact_channel=contact_channel,
        until=timezone.now() + MAX_CLOCK_SKEW,
    )
    model = ChannelConsentState if contact_channel else ConsentState
    key = {"consent_type": consent_type}
    if contact_channel:
        key["channel"] = contact_channel
    if latest is None:
        model.objects.filter(customer=customer, **key).delete()
        return
    # One INSERT … ON CONFLICT DO UPDATE on the state's unique key (the customer's row lock,
    # taken by the caller, already orders the changes).
    model.objects.bulk_create(
        [
            model(
                customer=customer,
                **key,
                status=latest.new_status,
                effective_at=latest.effective_at,
                record=latest,
            )
        ],
        update_conflicts=True,
        unique_fields=["customer", *key],
        update_fields=["status", "effective_at", "record"],
    )


@prepared(ConsentRecord, params=("customer", "consent_type", "contact_channel", "until"))
def _latest_record(_actor, *, customer, consent_type, contact_channel, until):
    """The latest record in effect by ``until`` (kept compiled: every consent change asks)."""
    return ConsentRecord.objects.filter(
        customer=customer,
        consent_type=consent_type,
        contact_channel=contact_channel,
        effective_at__lte=until,
    ).order_by("-effective_at", "-created_at")[:1]


@reads.once_per_view
def current_states(customer: Customer, actor) -> dict[str, ConsentState]:
    """{type: current state} of the types ever recorded for the customer, as far as the actor
    may see them (the 360's header and the NBA's facts: one read per 360 view)."""
    return {s.consent_type: s for s in _visible_states(actor, customer=customer)}


@prepared(ConsentState, params=("customer",))
def _visible_states(actor, *, customer):
    return ConsentState.objects.visible_to(actor).filter(customer=customer)


def consent_states(customer: Customer) -> dict[str, str]:
    """{type: status} for every type; types never recorded are reported as not granted."""
    found = dict(
        ConsentState.objects.filter(customer=customer).values_list("consent_type", "status")
    )
    return {t: found.get(t, "") for t in ConsentType.values}


def with_marketing_consent(customers: QuerySet[Customer], name: str) -> QuerySet[Customer]:
    """MARKETING consent GRANTED as a boolean column ``name`` on every row (opt-in: no record
    means no), for contactability's set form.

    A LEFT JOIN to the one MARKETING state per customer: over a whole population the planner
    hash-joins it, a fifth of the cost of the EXISTS above probing its index once per row."""
    return customers.annotate(
        marketing_state=FilteredRelation(
            "consent_states", condition=Q(consent_states__consent_type=ConsentType.MARKETING)
        )
    ).annotate(
        **{
            name: Case(
                When(marketing_state__status=ConsentStatus.GRANTED, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        }
    )


def channel_withdrawals(consent_type: str, channel: str) -> QuerySet:
    """Customer ids whose ``consent_type`` is withdrawn on ``channel`` (few rows): an
    uncorrelated subquery, so a whole population is checked with one hashed lookup."""
    return ChannelConsentState.objects.filter(
        consent_type=consent_type, channel=channel, status=ConsentStatus.WITHDRAWN
    ).values("customer_id")


def refresh_all_states_for(customer: Customer) -> None:
    for consent_type in ConsentType.values:
        _refresh_state(customer, consent_type)
    pairs = (
        ConsentRecord.objects.filter(customer=customer)
        .exclude(contact_channel="")
        .values_list("consent_type", "contact_channel")
        .distinct()
    )
    for consent_type, contact_channel in pairs:
        _refresh_state(customer, consent_type, contact_channel)


def consent_move_to_survivor(absorbed: Customer, survivor: Customer) -> int:
    """Merge mover: the history follows the person; the latest effective record wins."""
    moved = ConsentRecord.objects.filter(customer=absorbed).update(customer=survivor)
    ChannelConsentState.objects.filter(customer=absorbed).delete()
    ConsentState.objects.filter(customer=absorbed).delete()
    refresh_all_states_for(survivor)
    return moved


@transaction.atomic
def suppression_add(*, actor, customer: Customer, reason: str) -> Suppression:
    """Do-not-contact, on the customer's request; recorded by service staff, like consent,
    under the same per-customer lock (a campaign batch then sees it or finishes first)."""
    require_may_change_consent(actor, customer)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError("reason_required", _("Tuliskan alasan."), field="reason")
    if len(reason) > 200:
        raise ServiceError("reason_too_long", _("Alasan maks. 200 karakter."), field="reason")
    lock_customer_for_consent(customer.pk)
    suppression, created = Suppression.objects.get_or_create(
        customer=customer,
        defaults={"reason": reason, "created_by": user_or_none(actor)},
    )
    if created:
        events.emit(SUPPRESSION_ADDED, actor=actor, customer=customer, suppression=suppression)
        audit.record(
            actor=actor,
            action=AuditAction.CHANGE_CONSENT,
            obj=customer,
            meta={"suppression": True},
        )
    return suppression


def suppression_move_to_survivor(absorbed: Customer, survivor: Customer) -> int:
    """Merge mover: the survivor is on the list if either record was."""
    if Suppression.objects.filter(customer=survivor).exists():
        return Suppression.objects.filter(customer=absorbed).delete()[0]
    return Suppression.objects.filter(customer=absorbed).update(customer=survivor)
