"""A reply to the customer from the case page (issue 16): through the hub, with a template.

The case page has two ways to write: an **internal note** (cases: staff only, never sent) and a
**reply to the customer** — this module. A reply is the agent's text put into the approved
template ``case.reply`` of the chosen channel (placeholder ``{{reply.text}}``: the salutation,
the case number and the closing are the template's, reviewed once), queued in the outbox like
every message to a customer (purpose SERVICE, source CASE, the case's id), so it shows on the
customer's Komunikasi tab with its delivery status, and logged on the case as a REPLY line
(``cases.contract.case_reply_log``) — one transaction: the case row locked first, the audit
rows last.

The contact rule (``consent.contract.contactability``) is asked *before* anything is written:
a channel the customer may not be reached on (do-not-contact, opted out of the channel, no
address, no approved template, or one this server has not configured) is refused with its
reason and nothing is queued or logged; a channel only closed for now (outside the SERVICE
contact window) is queued for when it opens, and the agent is told when. The case panel shows
each channel's verdict before anyone types.

Cases sits below messaging and never imports it: the panel comes in through
``cases.contract.register_case_panel`` (``messaging.contract``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.cases.contract import case_for_reply, case_reply_log, check_reply_text
from amanah.consent.contract import contactability, reason_label
from amanah.core.errors import ServiceError
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import Message, MessageSource, MessageStatus
from amanah.messaging.models.outbox import ERROR_LABELS
from amanah.messaging.providers import configured
from amanah.messaging.queueing import CUSTOMER_ADDRESS, message_queue
from amanah.messaging.templating import TemplateNotApproved, approved_version, render

TEMPLATE_KEY = "case.reply"
# The channels a case reply may take (those the server has configured are offered).
REPLY_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP, Channel.SMS)
CONTEXT = "reply"  # the template context object this module supplies: {{reply.text}}

NOT_OFFERED = {
    "not_configured": gettext_lazy("kanal ini belum dikonfigurasi di server"),
    "no_address": gettext_lazy("nasabah tidak punya alamat untuk kanal ini"),
    "no_template": gettext_lazy("belum ada templat balasan kasus yang disetujui untuk kanal ini"),
}


@dataclass(frozen=True)
class ChannelVerdict:
    channel: str
    label: str
    code: str  # "" when a reply may go now; "wait" when it would wait for the window
    reason: str  # the Indonesian reason when not now
    address: str  # masked

    @property
    def offered(self) -> bool:
        return self.code in ("", "wait")


def _masked(channel: str, address: str) -> str:
    from amanah.messaging import addresses

    return addresses.mask(channel, address) if address else ""


def channel_verdicts(customer, at=None) -> list[ChannelVerdict]:
    """Per reply channel: may a reply go now, later (the window), or not at all, and why."""
    at = at or timezone.now()
    verdicts = []
    for channel in REPLY_CHANNELS:
        address = getattr(customer, CUSTOMER_ADDRESS[channel], "") or ""
        label = str(Channel(channel).label)
        if not configured(channel):
            verdicts.append(
                ChannelVerdict(
                    channel, label, "not_configured", str(NOT_OFFERED["not_configured"]), ""
                )
            )
            continue
        if not address:
            verdicts.append(
                ChannelVerdict(channel, label, "no_address", str(NOT_OFFERED["no_address"]), "")
            )
            continue
        try:
            approved_version(TEMPLATE_KEY, channel)
        except TemplateNotApproved:
            verdicts.append(
                ChannelVerdict(
                    channel,
                    label,
                    "no_template",
                    str(NOT_OFFERED["no_template"]),
                    _masked(channel, address),
                )
            )
            continue
        verdict = contactability(customer, Purpose.SERVICE, channel, at)
        if verdict.refused:
            code, reason = verdict.reason, reason_label(verdict.reason)
        elif verdict.must_wait:
            code = "wait"
            reason = _("di luar jendela kontak; dikirim %(at)s") % {
                "at": f"{timezone.localtime(verdict.next_window_at):%d-%m-%Y %H:%M}"
            }
        else:
            code, reason = "", ""
        verdicts.append(ChannelVerdict(channel, label, code, reason, _masked(channel, address)))
    return verdicts


def _refuse(verdict: ChannelVerdict) -> ServiceError:
    return ServiceError(
        "not_contactable" if verdict.code not in NOT_OFFERED else verdict.code,
        _("Balasan tidak dapat dikirim lewat %(channel)s: %(reason)s.")
        % {"channel": verdict.label, "reason": verdict.reason},
        field="channel",
    )


@transaction.atomic
def case_reply(*, actor, case_id, channel: str, text: str) -> Message:
    """Send ``text`` to the case's customer on ``channel`` (see the module docstring); returns
    the queued message (QUEUED, due now or when the window opens)."""
    try:
        case_id = uuid.UUID(str(case_id))
    except ValueError:
        from amanah.core.errors import NotFound

        raise NotFound() from None
    case = case_for_reply(actor=actor, case_id=case_id)  # permission, scope, locked
    text = check_reply_text(text)
    if channel not in REPLY_CHANNELS:
        raise ServiceError("unknown_channel", _("Pilih kanal balasan."), field="channel")
    customer = case.customer
    at = timezone.now()
    verdict = next(v for v in channel_verdicts(customer, at) if v.channel == channel)
    if not verdict.offered:
        raise _refuse(verdict)
    version = approved_version(TEMPLATE_KEY, channel)
    rendered = render(version, {"customer": customer, "case": case, CONTEXT: {"text": text}})
    activity = case_reply_log(
        actor=actor, case=case, text=text, channel=channel, template=TEMPLATE_KEY
    )
    message = message_queue(
        actor=actor,
        channel=channel,
        purpose=Purpose.SERVICE,
        rendered=rendered,
        source=MessageSource.CASE,
        source_id=str(case.pk),
        step=f"reply:{activity.pk}",
        customer=customer,
        template_key=version.template.key,
        template_version=version.number,
        at=at,
    )
    if message.status == MessageStatus.CANCELLED:  # the rule changed between check and queue
        raise ServiceError(
            "not_contactable",
            _("Balasan tidak dapat dikirim: %s.") % reason_label(message.cancel_reason),
            field="channel",
        )
    if message.status == MessageStatus.FAILED:  # e.g. the channel has no adapter (any more)
        raise ServiceError(
            message.last_error_code or "failed",
            _("Balasan tidak dapat dikirim: %s.")
            % ERROR_LABELS.get(message.last_error_code, message.last_error_code),
            field="channel",
        )
    activity.meta = {**activity.meta, "message": str(message.pk)}
    activity.save(update_fields=["meta"])
    return message


def reply_panel(case, *, actor) -> dict:
    """The case page's reply panel (``cases.contract.register_case_panel``): the channels with
    their verdicts; nothing for a case that takes no reply or whose details the actor may not
    read (the panel then shows nothing)."""
    from amanah.cases.contract import may_see_sensitive

    if case.status in ("CLOSED", "CANCELLED") or not may_see_sensitive(actor, case):
        return {"shown": False}
    verdicts = channel_verdicts(case.customer)
    return {
        "shown": True,
        "case": case,
        "channels": verdicts,
        "any_offered": any(v.offered for v in verdicts),
        "max_length": 1000,
    }
