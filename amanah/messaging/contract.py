"""What messaging offers the house, and nothing else.

* ``message_queue(...)`` / ``message_queue_many(...)`` — put a message (or the same content
  to many customers) into the outbox: idempotent, contact-checked, audited
  (``messaging.queueing``);
* ``message_status_apply(StatusUpdate)`` / ``inbound_receive(InboundMessage)`` — what the
  provider webhooks call (``messaging.services``);
* ``Channel``, ``Purpose``, ``MessageSource``, ``MessageStatus``, ``Rendered``;
* ``message_queue_template_many(...)`` — a template version to many customers, rendered per
  customer when a placeholder needs the customer (``messaging.queueing_templates``), and
  ``approved_version_number(key, channel, number)`` for a sender that froze a version;
  ``CUSTOMER_ADDRESS`` — the customer field each channel sends to;
* ``channel_order(customer, purpose, candidates)`` / ``customer_channel(...)`` — the one rule
  for which channel a sender that chooses uses: the customer's preference for the purpose
  first, then the sender's order (``messaging.choosing``); ``channel_choices(customers,
  purpose, candidates, at=None)`` → ``{id: ChannelChoice(channel, reason, timezone)}``, its
  set form for a batch of offers: the first channel of each customer's order that
  contactability allows, or the reason nobody is reachable (``NO_ADDRESS`` among them);
  ``choice_counts(customers, purpose, candidates, at=None)`` → ``Counter({(channel,
  reason): n})``, the same choices counted in one grouped statement (audience sizes);
  ``has_address(channel)`` → a ``Q`` (the customer has an address there) and
  ``with_address_flags(customers, channels, prefix)`` — the address test of that choice in
  set form, for a sender's own statements (campaign eligibility);
* ``register_source_labels(source, names, scoped=False)`` — the owner of a source
  (marketing: campaigns) tells the outbox pages how its ids are named
  (``messaging.sources``); cases are below messaging and cannot call it, so their numbers
  are registered here from ``cases.contract.case_numbers`` (scoped: cases the actor may open);
* ``engagement_record(message_id=, kind=)`` with ``EngagementKind`` — the first open, click,
  unsubscribe or conversion of a message, for channel analytics (``messaging.tracking``);
  ``tracked_url(message, url)`` / ``open_pixel_url(message)`` for the renderer;
* ``staff_queue_many(...)`` — the same kind of message to many members of staff, one content
  each (``messaging.staff``); ``approval_notify(...)`` — IN_APP to whoever must decide or hear
  of a decision, for the workflows of apps above messaging (``messaging.notices``);
* ``conversion_record(customer_id=, at=None)`` — a higher app's "the customer took up an
  offer" (sales: a lead or opportunity won), counted against the last offer clicked or sent
  in the 30 days before; unsubscribes are counted from consent's ``channel_opted_out``;
* the event ``messaging.message_status_changed`` (``actor``, ``message``) — DELIVERED, READ,
  FAILED … for channel analytics;
* the event ``messaging.inbound_received`` (``actor``, ``message``: an ``InboundMessage``) — a
  customer wrote on WhatsApp/SMS and it was no STOP reply; the case intake keeps it.
* templates: the menu entry, the events of template writes and the workflow of a template
  version (DRAFT → PENDING_APPROVAL → APPROVED / REJECTED) with its four-eyes guard; the
  renderer and the senders' lookup (``render``, ``approved_version``, ``placeholders``,
  ``TemplateNotApproved``; implemented in ``messaging.templating``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.models import AuditAction
from amanah.cases.contract import CasePanel, case_numbers, register_case_panel
from amanah.cases.policies import CASE_REPLY
from amanah.consent.contract import CHANNEL_OPTED_OUT, register_contact_counter
from amanah.core import events, registry
from amanah.core.contributions import NavItem, Tab, TemplateVariable
from amanah.core.permissions import SIGNED_IN
from amanah.documents.contract import register_owner
from amanah.messaging import case_replies, media, notices, service_window, template_services
from amanah.messaging import dispatch as _dispatch  # noqa: F401 (its job's declared actor)
from amanah.messaging import housekeeping as _housekeeping  # noqa: F401 (its job's declared actor)
from amanah.messaging import subject as _subject_section
from amanah.messaging import template_defaults as _template_defaults  # noqa: F401 (its job's declared actor)
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.choosing import (
    DEFAULT_CHANNELS,
    NO_ADDRESS,
    ChannelChoice,
    channel_choices,
    channel_order,
    choice_counts,
    customer_channel,
    has_address,
    with_address_flags,
)
from amanah.messaging.content import Rendered
from amanah.messaging.models import EngagementKind, MediaAsset, MessageSource, MessageStatus
from amanah.messaging.models import VersionStatus as V
from amanah.messaging.notices import approval_notify
from amanah.messaging.policies import (
    MESSAGE_VIEW,
    MESSAGE_VIEW_CUSTOMER,
    TEMPLATE_APPROVE,
    TEMPLATE_MANAGE,
    TEMPLATE_VIEW,
)
from amanah.messaging.queueing import CUSTOMER_ADDRESS, message_queue, message_queue_many
from amanah.messaging.queueing_templates import (
    approved_template,
    approved_version_number,
    message_queue_template,
    message_queue_template_many,
)
from amanah.messaging.services import (
    INBOUND_RECEIVED,
    STATUS_CHANGED,
    inbound_receive,
    message_status_apply,
    messages_move_to_survivor,
    sent_since,
)
from amanah.messaging.sources import register_source_labels
from amanah.messaging.staff import staff_queue_many
from amanah.messaging.templating import (
    TemplateNotApproved,
    approved_version,
    placeholders,
    render,
)
from amanah.messaging.tracking import (
    ENGAGEMENT_RECORDED,
    conversion_record,
    engagement_record,
    open_pixel_url,
    tracked_url,
    unsubscribe_recorded,
)
from amanah.messaging.views_communication import TAB_KEY, customer_tab_context
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

# --------------------------------------------------------------------------- outbox

__all__ = [
    "CUSTOMER_ADDRESS",
    "Channel",
    "EngagementKind",
    "MessageSource",
    "MessageStatus",
    "Purpose",
    "Rendered",
    "approved_template",
    "approved_version_number",
    "ChannelChoice",
    "NO_ADDRESS",
    "channel_choices",
    "choice_counts",
    "channel_order",
    "customer_channel",
    "has_address",
    "with_address_flags",
    "DEFAULT_CHANNELS",
    "approval_notify",
    "conversion_record",
    "engagement_record",
    "INBOUND_RECEIVED",
    "inbound_receive",
    "message_queue",
    "message_queue_many",
    "message_queue_template",
    "message_queue_template_many",
    "message_status_apply",
    "open_pixel_url",
    "register_source_labels",
    "staff_queue_many",
    "tracked_url",
    "TemplateNotApproved",
    "approved_version",
    "placeholders",
    "render",
]

events.declare(STATUS_CHANGED)
events.declare(ENGAGEMENT_RECORDED)
events.declare(INBOUND_RECEIVED)
# Consent's frequency caps count the messages the outbox handed to a provider.
register_contact_counter("messaging.sent", sent_since)
registry.merge_movers.register("messaging.messages", messages_move_to_survivor)
# An unsubscribe link or a STOP reply counts against the offer it answers (channel analytics).
events.on(CHANNEL_OPTED_OUT, unsubscribe_recorded)
registry.merge_movers.register("messaging.last_inbound", service_window.move_to_survivor)
registry.navigation.register(
    "messaging.dead_letters",
    NavItem(gettext_lazy("Pesan gagal"), "messaging:dead_letters", MESSAGE_VIEW, section="admin"),
    order=245,
)

# The 360 Komunikasi tab: every message to the customer (not staff ones), masked addresses
# only, for whoever may open the customer and holds MESSAGE_VIEW_CUSTOMER.
registry.workspace_tabs.register(
    TAB_KEY,
    Tab(
        gettext_lazy("Komunikasi"),
        "messaging/_customer_tab.html",
        MESSAGE_VIEW_CUSTOMER,
        customer_tab_context,
    ),
    order=20,
)
# The case page's reply to the customer (issue 16): a panel beside the internal note, and the
# placeholder its template fills with the agent's text.
register_case_panel(
    "messaging.case_reply",
    CasePanel(CASE_REPLY, "messaging/_case_reply.html", case_replies.reply_panel),
    order=10,
)
registry.template_variables.register(
    "reply.text",
    TemplateVariable(
        gettext_lazy("Isi balasan petugas untuk nasabah"),
        case_replies.CONTEXT,
        lambda c: c[case_replies.CONTEXT]["text"],
        "Dana Anda sedang kami telusuri bersama bank penerima; kami kabari paling lambat besok.",
    ),
)
# Every member of staff turns Web Push on or off for their own browsers (beside their name).
registry.navigation.register(
    "messaging.push_settings",
    NavItem(gettext_lazy("Notifikasi push"), "messaging:push_settings", SIGNED_IN, "profile"),
    order=300,
)
registry.navigation.register(
    "messaging.analytics",
    NavItem(gettext_lazy("Analitik saluran"), "messaging:analytics", MESSAGE_VIEW, section="main"),
    order=75,
)

# --------------------------------------------------------------------------- templates

registry.navigation.register(
    "messaging.templates",
    NavItem(gettext_lazy("Templat pesan"), "messaging:template_list", TEMPLATE_VIEW),
    order=75,
)

events.declare("messaging.template_created")
events.declare("messaging.template_version_saved")
events.declare(media.MEDIA_UPLOADED)

# The media library's files are documents of their asset (``messaging.media``): scope, the
# encryption at rest and the retention are documents'; the library page is the owner's page.
register_owner(
    media.OWNER_KIND,
    label=gettext_lazy("Media templat WhatsApp"),
    url=lambda asset: reverse("messaging:media_library"),
    describe=lambda asset: asset.name,
    # A template's picture or brochure is about no customer: none of its rows is theirs in
    # an access export.
    of_customer=lambda customer: MediaAsset.objects.none(),
)

TEMPLATE_FOUR_EYES = register_guard(
    "messaging.template_version.four_eyes",
    template_services.decided_by_someone_else,
    message=gettext_lazy(
        "Templat pemasaran/penagihan tidak boleh disetujui atau ditolak oleh penulisnya sendiri."
    ),
)
declare_workflow(
    WorkflowSpec(
        key="messaging.template_version",
        model="messaging.TemplateVersion",
        status_field="status",
        label=gettext_noop("Versi templat pesan"),
        on_apply=template_services.version_on_apply,
        transitions=(
            TransitionSpec(
                V.DRAFT,
                V.PENDING_APPROVAL,
                TEMPLATE_MANAGE,
                gettext_noop("Ajukan persetujuan"),
                audit_action=AuditAction.SUBMIT_MESSAGE_TEMPLATE,
            ),
            TransitionSpec(
                V.PENDING_APPROVAL,
                V.APPROVED,
                TEMPLATE_APPROVE,
                gettext_noop("Setujui"),
                guard=TEMPLATE_FOUR_EYES,
                audit_action=AuditAction.APPROVE_MESSAGE_TEMPLATE,
            ),
            TransitionSpec(
                V.PENDING_APPROVAL,
                V.REJECTED,
                TEMPLATE_APPROVE,
                gettext_noop("Tolak"),
                guard=TEMPLATE_FOUR_EYES,
                required=("note",),
                audit_action=AuditAction.REJECT_MESSAGE_TEMPLATE,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- notices
# What the hub sends when something happens below it (``messaging.notices``): the case receipt
# and status updates to the customer (deferred: never a condition of the case's change), the
# SLA digest to staff (deferred), merge and template approvals to staff (in the decision), and
# a complaint taken at another office to its customer's home-branch supervisors (in the intake).

# A case's number names its messages' source on the Komunikasi tab, for cases the actor may
# open only (cases sits below messaging: its published reader is registered here).
register_source_labels(MessageSource.CASE, case_numbers, scoped=True)

events.declare(notices.CASE_NOTICE_DUE)
events.on("cases.case_created", notices.case_receipt, deferred=True)
events.on("cases.case_created", notices.intake_elsewhere)
events.on("cases.case.transitioned", notices.case_moved)
events.on(notices.CASE_NOTICE_DUE, notices.case_notice_send, deferred=True)
events.on("cases.sla_digest", notices.sla_digest, deferred=True)
events.on("customers.merge_proposed", notices.merge_proposed)
events.on("customers.merge.transitioned", notices.merge_decided)
events.on("messaging.template_version.transitioned", notices.template_version_moved)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("messaging", _subject_section.SECTION)
