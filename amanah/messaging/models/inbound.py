"""When each customer last wrote to us, per channel: what opens WhatsApp's 24-hour customer
service window (see ``messaging.service_window``)."""

from __future__ import annotations

from django.db import models

from amanah.messaging.channels import Channel


class LastInbound(models.Model):
    """The provider timestamp of the newest message a customer sent us on a channel (one row
    per customer and channel, only ever moved forward). Written by ``services.inbound_receive``
    for every customer with the sender's number; read by the dispatcher, which sends free-form
    WhatsApp only while ``at`` is less than 24 hours old. No text, no number: just the time."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="last_inbound_once")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.at:%Y-%m-%d %H:%M:%S%z}"


class InboundReceipt(models.Model):
    """A customer's message we have taken in, by the provider's own id: the same webhook
    delivered again (a provider retry, or a captured body replayed — WhatsApp's signature has
    no timestamp) is a no-op, so a STOP replayed after the customer agreed again withdraws
    nothing. No number, no text: the provider and its opaque id."""

    provider = models.CharField(max_length=40)
    provider_message_id = models.CharField(max_length=200)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"], name="inbound_receipt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.received_at:%Y-%m-%d %H:%M:%S%z}"
