"""What messaging keeps about a data subject (UU PDP access export): every message to the
customer with its delivery events and engagement, and the last inbound per channel.

The address a message went to is stored sealed; the export gives it opened, under the same
field name (the subject's own address as it was when the message was sent)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.messaging.addresses import open_sealed
from amanah.messaging.models import Engagement, LastInbound, Message, MessageEvent


def rows(customer) -> dict:
    messages = Message.objects.filter(customer=customer)
    return {
        "messaging.Message": stored_rows(messages, opened={"address_sealed": open_sealed}),
        "messaging.MessageEvent": stored_rows(MessageEvent.objects.filter(message__in=messages)),
        "messaging.Engagement": stored_rows(Engagement.objects.filter(message__in=messages)),
        "messaging.LastInbound": stored_rows(LastInbound.objects.filter(customer=customer)),
    }


def trail(customer) -> dict:
    ids = Message.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"messaging.Message": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Pesan (email, WhatsApp, SMS, push, in-app)"),
    models=(
        "messaging.Message",
        "messaging.MessageEvent",
        "messaging.Engagement",
        "messaging.LastInbound",
    ),
    rows=rows,
    trail=trail,
)
