"""Reactions of the desk to what happens below it."""

from __future__ import annotations

from django.utils import timezone

from amanah.consent.models import ConsentStatus, ConsentType
from amanah.followup.models import DeskAgent, ExitReason
from amanah.followup.services.exits import EXITS, member_exit
from amanah.followup.sweep import hand_over_agent


def clock():
    """Now (a seam: the state-machine test moves the desk's clock)."""
    return timezone.now()


def absence_changed(*, actor, absence) -> None:
    """Synchronous, in the absence's transaction: an agent away *now* hands every member on at
    once (AGENT_UNAVAILABLE). An absence starting later is the sweep's (within five minutes of
    its start); a withdrawn one changes nothing (members already moved stay where they are)."""
    now = clock()
    if absence.cancelled_at or not absence.starts_at <= now < absence.ends_at:
        return
    agent_id = DeskAgent.objects.filter(user_id=absence.user_id).values_list("id", flat=True)
    for pk in agent_id:
        hand_over_agent(agent_id=pk, now=now)


def consent_changed(*, actor, customer, record) -> None:
    """Synchronous, in the consent change's transaction: a customer who withdraws MARKETING
    consent altogether (not one channel: that is the contact rule's business, per message)
    leaves the desk at once (CONSENT_WITHDRAWN) — the desk exists to persuade, and they said
    no."""
    if (
        record.consent_type == ConsentType.MARKETING
        and record.new_status == ConsentStatus.WITHDRAWN
        and not record.contact_channel
    ):
        member_exit(
            actor=EXITS, customer=customer, reason=ExitReason.CONSENT_WITHDRAWN, now=clock()
        )


def suppression_added(*, actor, customer, suppression) -> None:
    """Synchronous, in the transaction that puts the customer on the do-not-contact list
    (consent's ``suppression_add``, which holds the customer's consent lock): the member leaves
    at once (DO_NOT_CONTACT), like a withdrawal — nobody may offer them anything any more."""
    member_exit(actor=EXITS, customer=customer, reason=ExitReason.DO_NOT_CONTACT, now=clock())


def customer_closed(*, actor, customer) -> None:
    """Synchronous, in the master-data change's transaction: a closed customer leaves (CLOSED)."""
    member_exit(actor=EXITS, customer=customer, reason=ExitReason.CLOSED, now=clock())
