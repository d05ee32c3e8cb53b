"""What the hub sends on its own when something happens below it (issue 12, "consumers").

Cases, customers and the workflow engine sit *below* messaging: they never import it. They
emit events; these handlers, subscribed in ``messaging.contract``, turn them into messages.

**To the customer (purpose SERVICE)**, deferred — a job after the case's transaction has
committed, so a missing template, a customer without an address or a messaging fault never
undoes (or delays) the case:

* ``cases.case_created`` → the **receipt** (source CASE, ``source_id`` = case id, step
  ``receipt``), template ``case.receipt``. On the customer's preferred SERVICE channel, else
  by EMAIL when the customer has an address, else WHATSAPP (``choosing.channel_order``; a
  channel whose template is not approved is passed over). The message stores a
  *reference* to the PDF (``attachments``), issued first as the case's RECEIPT document
  (``cases.receipts``); the dispatcher reads it at sending time (``messaging.attachments``):
  attached to the e-mail, uploaded as the WhatsApp utility template's document header (the
  case number is also one of its parameters).
* ``cases.case.transitioned`` → a **status update** on the moves a customer cares about:
  NEW → IN_PROGRESS (we started), → RESOLVED (the final response, template ``case.resolved``,
  falling back to ``case.status_update``), → CLOSED, RESOLVED → IN_PROGRESS (reopened).
  Escalation, waiting for information and reverts (an undo of a mistake) say nothing. The
  step is ``status:<to>:<n>``, ``n`` the how-many-th move to that status — numbered inside the
  move's own transaction (a tiny synchronous handler), sent by a deferred one — so each move
  queues exactly one message however often its job runs.

A receipt that is not queued (no approved template, no address, refused, not contactable)
or that the outbox gives up on later is noted on the case's activity log (``not_sent``).

Contactability decides as for any message (``message_queue``): SERVICE has its own window
and no consent requirement beyond do-not-contact; the sensitive-case blocker is for offers
only, so the complainant of a fraud case still hears about it — and no template may name the
case's category (``cases.contract`` leaves it out of the allow-list).

**To staff (purpose STAFF)**, ``staff.staff_queue_many``:

* ``cases.sla_digest`` (deferred) → per recipient one IN_APP ("12 kasus melewati batas SLA",
  the notifications inbox and its unread badge) and one EMAIL (template ``sla.digest``) per
  run and step; the run's clock is the ``source_id``, so a retry adds none.
* ``customers.merge_proposed`` / ``customers.merge.transitioned`` and
  ``messaging.template_version.transitioned`` (synchronous: a few IN_APP rows in the
  decision's own transaction) → the approvers when something awaits them, the requester when
  it was decided. ``approval_notify`` is what apps above messaging (marketing's campaigns)
  call for their own workflows.

Nothing here logs an address, a body or an identifier: a skipped notice logs its reason and
the template key only.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from amanah.cases import receipts
from amanah.cases.models import Case, CaseStatus
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.iam.contract import holders_of
from amanah.iam.models import User
from amanah.messaging import attachments, not_sent, providers
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.choosing import channel_order
from amanah.messaging.content import Rendered
from amanah.messaging.models import MessageSource, MessageStatus, PushSubscription
from amanah.messaging.queueing import message_queue
from amanah.messaging.staff import staff_queue_many
from amanah.messaging.templating import TemplateNotApproved, approved_version, render
from amanah.workflow.contract import times_moved_to

logger = logging.getLogger(__name__)

CASE_NOTICE_DUE = "messaging.case_notice_due"  # fn(*, actor, case, step, templates)
CUSTOMER_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP)  # in order of preference

S = CaseStatus
RECEIPT = ("case.receipt",)
STATUS_UPDATE = ("case.status_update",)
RESOLVED = ("case.resolved", "case.status_update")


# --------------------------------------------------------------------------- to the customer


def case_receipt(*, actor, case: Case) -> None:
    """Deferred, on ``cases.case_created``: the receipt with its PDF (by reference). The
    receipt is issued first (``cases.receipts.receipt_issue``: idempotent, cases' own job may
    have done it already), so the dispatcher only reads it. When it cannot be queued, or is
    cancelled at once, the case says so (``not_sent``)."""
    receipts.receipt_issue(case)
    refused = _case_notice(
        actor,
        case,
        step="receipt",
        templates=RECEIPT,
        refs=[attachments.reference(attachments.CASE_RECEIPT, case.pk)],
    )
    if refused is not None:
        not_sent.receipt_not_sent(case.pk, *refused)


def _notable(from_status: str, to_status: str) -> tuple[str, ...] | None:
    """The templates of a move the customer hears about, or None."""
    if to_status == S.IN_PROGRESS and from_status in (S.NEW, S.RESOLVED, S.CLOSED):
        return STATUS_UPDATE  # started, or reopened (after the final response or the close)
    if to_status == S.RESOLVED:
        return RESOLVED
    if to_status == S.CLOSED:
        return STATUS_UPDATE
    return None


def case_moved(*, actor, obj: Case, from_status: str, to_status: str, revert: bool) -> None:
    """Synchronous, on ``cases.case.transitioned``: number the move (in its transaction) and
    hand it to the deferred sender."""
    templates = None if revert else _notable(from_status, to_status)
    if templates is None:
        return
    ordinal = times_moved_to("cases.case", obj, to_status)
    events.emit(
        CASE_NOTICE_DUE,
        actor=actor,
        case=obj,
        step=f"status:{to_status}:{ordinal}",
        templates=list(templates),
    )


def case_notice_send(*, actor, case: Case, step: str, templates: list[str]) -> None:
    """Deferred, on ``messaging.case_notice_due``: the status update itself."""
    _case_notice(actor, case, step=step, templates=tuple(templates), refs=[])


def _case_notice(
    actor, case: Case, *, step: str, templates: tuple[str, ...], refs
) -> tuple[str, str] | None:
    """Queue the notice on the first configured channel with an address and an approved
    template, the customer's preferred one for SERVICE first (``choosing.channel_order``);
    returns ``(reason, detail)`` (``not_sent.REASONS``) when it was not queued or was
    cancelled at once, else None."""
    customer = case.customer
    reachable = channel_order(customer, Purpose.SERVICE, CUSTOMER_CHANNELS)
    sendable = [channel for channel in reachable if providers.configured(channel)]
    for channel in sendable:
        version = _approved(templates, channel)
        if version is None:
            continue
        try:
            rendered = render(version, {"customer": customer, "case": case})
            message = message_queue(
                actor=actor,
                channel=channel,
                purpose=Purpose.SERVICE,
                rendered=rendered,
                source=MessageSource.CASE,
                source_id=str(case.pk),
                step=step,
                customer=customer,
                template_key=version.template.key,
                template_version=version.number,
                attachments=refs,
            )
        except ServiceError as refused:
            logger.warning(
                "messaging: case notice %s not queued (%s)", _step_kind(step), refused.code
            )
            return "refused", refused.code
        if message.status == MessageStatus.CANCELLED:
            return not_sent.ended_reason(message.status, message.cancel_reason)
        return None
    if reachable and not sendable:
        logger.warning("messaging: case notice %s: channel not configured", _step_kind(step))
        return "not_configured", ""
    logger.warning(
        "messaging: case notice %s skipped: no approved template (%s) for a channel the "
        "customer has an address on",
        _step_kind(step),
        "/".join(templates),
    )
    return ("no_template", "") if reachable else ("no_address", "")


def _step_kind(step: str) -> str:
    """``receipt`` or ``status:CLOSED`` — never the ordinal with an id, nothing personal."""
    return ":".join(step.split(":")[:2])


def _approved(templates: tuple[str, ...], channel: str):
    for key in templates:
        try:
            return approved_version(key, channel)
        except TemplateNotApproved:
            continue
    return None


# --------------------------------------------------------------------------- to staff


def sla_digest(*, actor, kind: str, title: str, at: str, url: str, counts: list) -> dict:
    """Deferred, on ``cases.sla_digest``: per recipient one IN_APP and (template ``sla.digest``
    approved, the user has an e-mail) one EMAIL, keyed by the run's clock and the step."""
    users = User.objects.in_bulk([user_id for user_id, _count in counts])
    pairs = [(users[uid], count) for uid, count in _by_uuid(counts) if uid in users]
    source_id = f"{kind}:{at}"
    summaries = {user.pk: f"{count} {title}" for user, count in pairs}
    result = _in_app_and_push(
        actor=actor,
        source=MessageSource.SLA,
        source_id=source_id,
        step=kind,
        notices=[(user, Rendered(subject=summaries[user.pk], media_url=url)) for user, _c in pairs],
    )
    try:
        version = approved_version("sla.digest", Channel.EMAIL)
    except TemplateNotApproved:
        logger.warning("messaging: SLA digest e-mail skipped: template sla.digest not approved")
        return result
    notices = []
    for user, count in pairs:
        digest = {
            "summary": summaries[user.pk],
            "breached_count": count if kind == "breach" else 0,
            "warning_count": count if kind == "warning" else 0,
        }
        notices.append((user, render(version, {"sla_digest": digest})))
    result["email"] = staff_queue_many(
        actor=actor,
        channel=Channel.EMAIL,
        source=MessageSource.SLA,
        source_id=source_id,
        step=kind,
        notices=notices,
        template_key=version.template.key,
        template_version=version.number,
    )
    return result


def _by_uuid(counts: list):
    for user_id, count in counts:
        try:
            yield uuid.UUID(str(user_id)), int(count)
        except (ValueError, TypeError):
            continue


def approval_notify(
    *, actor, users, title: str, url: str, source: str, source_id, step: str
) -> dict:
    """IN_APP (and PUSH, see ``_in_app_and_push``) to each of ``users`` (not the actor: who
    decided or asked knows already)."""
    acting = getattr(actor, "pk", None)
    notices = [
        (user, Rendered(subject=title[:200], media_url=url)) for user in users if user.pk != acting
    ]
    if not notices:
        return {}
    return _in_app_and_push(
        actor=actor, source=source, source_id=str(source_id), step=step, notices=notices
    )


def _in_app_and_push(*, actor, notices: list[tuple], **key) -> dict:
    """Each notice IN_APP (the inbox and its badge), and the same by Web Push to whoever turned
    it on in a browser, where the deployment sends PUSH (a VAPID key is configured)."""
    in_app = staff_queue_many(actor=actor, channel=Channel.IN_APP, notices=notices, **key)
    result = {"in_app": in_app}
    if "PUSH" not in settings.MESSAGING_PROVIDERS:
        return result
    subscribed = set(
        PushSubscription.objects.filter(user__in=[user for user, _r in notices]).values_list(
            "user_id", flat=True
        )
    )
    pushed = [(user, rendered) for user, rendered in notices if user.pk in subscribed]
    if pushed:
        result["push"] = staff_queue_many(actor=actor, channel=Channel.PUSH, notices=pushed, **key)
    return result


# a complaint taken at another office → the supervisors of the customer's home branch


def intake_elsewhere(*, actor, case: Case) -> None:
    """Synchronous, on ``cases.case_created``: a complaint registered at another branch for a
    customer of this one (``Case.customer_branch``, intake at any office) → IN_APP to whoever
    assigns cases at the customer's home branch (``case.assign``: its supervisors), in the
    creation's transaction. The title names the case and the receiving branch, never the
    customer; the case page is theirs to open (the home branch sees the case)."""
    from amanah.cases.policies import CASE_ASSIGN

    if not case.customer_branch_id:
        return
    approval_notify(
        actor=actor,
        users=holders_of(CASE_ASSIGN, branch_ids=[case.customer_branch_id]),
        title=_("Pengaduan nasabah cabang Anda dicatat di %(branch)s: %(case_no)s")
        % {"branch": case.branch, "case_no": case.case_no},
        url=reverse("cases:detail", args=[case.pk]),
        source=MessageSource.CASE,
        source_id=case.pk,
        step="intake-elsewhere",
    )


# customers' merges: proposed → the approvers of both customers' branches; decided → proposer


def merge_proposed(*, actor, request) -> None:
    from amanah.customers.policies import MERGE_APPROVE

    branches = [request.survivor.home_branch_id, request.absorbed.home_branch_id]
    approval_notify(
        actor=actor,
        users=holders_of(MERGE_APPROVE, branch_ids=branches),
        title=_("Usulan penggabungan nasabah menunggu persetujuan Anda"),
        url=reverse("customers:duplicates"),
        source=MessageSource.MERGE,
        source_id=request.pk,
        step="pending",
    )


def merge_decided(*, actor, obj, from_status: str, to_status: str, revert: bool) -> None:
    from amanah.customers.models import MergeStatus

    if revert or to_status not in (MergeStatus.APPROVED, MergeStatus.REJECTED):
        return
    title = (
        _("Usulan penggabungan nasabah Anda disetujui")
        if to_status == MergeStatus.APPROVED
        else _("Usulan penggabungan nasabah Anda ditolak")
    )
    approval_notify(
        actor=actor,
        users=[obj.proposed_by],
        title=title,
        url=reverse("customers:duplicates"),
        source=MessageSource.MERGE,
        source_id=obj.pk,
        step=f"decided:{to_status}",
    )


# message templates: submitted → the template approvers; decided → the author


def template_version_moved(*, actor, obj, from_status: str, to_status: str, revert: bool) -> None:
    from amanah.messaging.models import VersionStatus
    from amanah.messaging.policies import TEMPLATE_APPROVE

    if revert:
        return
    template = obj.template
    url = reverse("messaging:template_detail", args=[template.pk])
    name = template.name[:120]
    if to_status == VersionStatus.PENDING_APPROVAL:
        if _approves_itself(actor, obj):
            return  # the installer of the default templates: nothing waits for anyone
        users = holders_of(TEMPLATE_APPROVE)
        title = _("Templat pesan “%(name)s” menunggu persetujuan") % {"name": name}
        step = "pending"
    elif to_status in (VersionStatus.APPROVED, VersionStatus.REJECTED) and obj.author_id:
        users = [obj.author]
        title = (
            _("Templat pesan “%(name)s” disetujui")
            if to_status == VersionStatus.APPROVED
            else _("Templat pesan “%(name)s” ditolak")
        ) % {"name": name}
        step = f"decided:{to_status}"
    else:
        return
    approval_notify(
        actor=actor,
        users=users,
        title=title,
        url=url,
        source=MessageSource.APPROVAL,
        source_id=f"template:{obj.pk}",
        step=step,
    )


def _approves_itself(actor, version) -> bool:
    """A machine (no user) that may approve this version itself — a SERVICE/STAFF template,
    no four eyes — asks nobody (``template_defaults``). A person, or a machine submitting an
    offer, still tells the approvers."""
    from amanah.iam import authz
    from amanah.messaging.policies import TEMPLATE_APPROVE
    from amanah.messaging.template_services import needs_four_eyes

    return (
        getattr(actor, "pk", None) is None
        and not needs_four_eyes(version)
        and authz.has_perm(actor, TEMPLATE_APPROVE)
    )
