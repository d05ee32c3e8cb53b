"""Every write of the surveys app: invitations (made and handed to the messaging hub) and the
customer's answer.

**Who acts.** Invitations are made by ``SURVEYOR`` (``integration:surveys``), an integration
actor holding ``surveys.send`` and ``surveys.view`` over every branch — not the member of staff
whose close caused them: a close by a supervisor must not depend on what the supervisor may
send. Answers are recorded by ``SURVEY_RESPONDENT`` (``integration:survey-respondent``),
holding ``surveys.respond`` and ``surveys.view``: the customer's signed link is the authority,
nobody signs in.

**Idempotent.** An invitation's ``dedupe_key`` is unique (``CSAT:<case>``, ``CES:<case>``,
``NPS:<customer>:<period>``); :func:`invitation_create` returns the existing row, and
:func:`invitation_send` queues the message with the outbox's own idempotency key (source
SURVEY, the invitation's id, step = its type), so a retried job or a second run adds nothing.

**The message** goes out with purpose SERVICE (consent's contactability for SERVICE decides:
do-not-contact, the SERVICE contact window; the outbox checks again at send time), template
``survey.invitation`` by EMAIL when the customer has an address, else WHATSAPP — the first
channel with an address and an approved template. One that cannot be queued (no address, no
template, refused) or is cancelled at once is NOT_SENT with its reason, and is left out of the
response rate's denominator.

Nothing here logs an address, a token, an id or an answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit.models import AuditAction
from amanah.audit.services import record
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.iam import authz
from amanah.messaging.contract import (
    Channel,
    MessageSource,
    MessageStatus,
    Purpose,
    TemplateNotApproved,
    approved_version,
    channel_order,
    message_queue,
    render,
)
from amanah.surveys.models import InvitationStatus, SurveyInvitation, SurveyType
from amanah.surveys.policies import SURVEY_RESPOND, SURVEY_SEND, SURVEY_VIEW

logger = logging.getLogger(__name__)

SURVEYOR = declare_actor("surveys", permissions=(SURVEY_SEND, SURVEY_VIEW), all_branches=True)
SURVEY_RESPONDENT = declare_actor(
    "survey-respondent", permissions=(SURVEY_RESPOND, SURVEY_VIEW), all_branches=True
)

TEMPLATE_KEY = "survey.invitation"
CHANNELS = (Channel.EMAIL, Channel.WHATSAPP)  # in order of preference
COMMENT_MAX = 1000

INVITATION_SENT = "surveys.invitation_sent"  # fn(*, actor, invitation)
RESPONSE_RECORDED = "surveys.response_recorded"  # fn(*, actor, invitation)

S = InvitationStatus


def dedupe_key(survey_type: str, *, case=None, customer=None, period: int | None = None) -> str:
    if case is not None:
        return f"{survey_type}:{case.pk}"
    return f"{survey_type}:{customer.pk}:{period}"


# --------------------------------------------------------------------------- invitations


@transaction.atomic
def invitation_create(
    *, actor, survey_type: str, customer, case=None, period: int | None = None, at=None
) -> tuple[SurveyInvitation, bool]:
    """The invitation of ``survey_type`` for the case (CSAT, CES) or the customer's period
    (NPS); ``(row, created)`` — the existing row when it was made before."""
    authz.require(actor, SURVEY_SEND)
    if survey_type not in SurveyType.values:
        raise ServiceError("survey_type_unknown", _("Jenis survei tidak dikenal."))
    if survey_type != SurveyType.NPS and case is None:
        raise ServiceError("survey_case_required", _("Survei CSAT/CES selalu untuk satu kasus."))
    at = at or timezone.now()
    key = dedupe_key(survey_type, case=case, customer=customer, period=period)
    existing = SurveyInvitation.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing, False
    invitation = SurveyInvitation(
        survey_type=survey_type,
        dedupe_key=key,
        customer=customer,
        case=case,
        branch_id=case.branch_id if case is not None else customer.home_branch_id,
        created_at=at,
        expires_at=at + timedelta(days=settings.SURVEY_TOKEN_DAYS),
    )
    try:
        with transaction.atomic():  # a concurrent run made it first: take theirs
            invitation.save(force_insert=True)
    except IntegrityError:
        return SurveyInvitation.objects.get(dedupe_key=key), False
    return invitation, True


@transaction.atomic
def invitation_send(*, actor, invitation: SurveyInvitation, at=None) -> SurveyInvitation:
    """Queue the invitation's message (once) and note SENT or NOT_SENT with its reason; audited
    SEND_SURVEY, then ``surveys.invitation_sent``. An invitation already decided is returned
    as it is."""
    from amanah.surveys.tokens import invitation_url

    authz.require(actor, SURVEY_SEND)
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("customer", "case")
        .get(pk=invitation.pk)
    )
    if invitation.status != S.PENDING:
        return invitation
    at = at or timezone.now()
    customer = invitation.customer
    reason, message = "no_address", None
    for channel in channel_order(customer, Purpose.SERVICE, CHANNELS):  # preference first
        try:
            version = approved_version(TEMPLATE_KEY, channel)
        except TemplateNotApproved:
            reason = "no_template"
            continue
        context = {
            "customer": customer,
            "case": invitation.case,  # None for NPS: a template naming the case is refused
            "survey": {
                "url": invitation_url(invitation),
                "question": str(QUESTIONS[invitation.survey_type]),
            },
        }
        try:
            message = message_queue(
                actor=actor,
                channel=channel,
                purpose=Purpose.SERVICE,
                rendered=render(version, context),
                source=MessageSource.SURVEY,
                source_id=str(invitation.pk),
                step=invitation.survey_type,
                customer=customer,
                template_key=version.template.key,
                template_version=version.number,
                at=at,
            )
        except ServiceError as refused:
            reason = refused.code
        break
    if message is not None and message.status != MessageStatus.CANCELLED:
        invitation.status, invitation.sent_at = S.SENT, at
        invitation.channel, invitation.message_id = message.channel, message.pk
        invitation.not_sent_reason = ""
    else:
        if message is not None:
            reason = message.cancel_reason or "cancelled"
        invitation.status, invitation.not_sent_reason = S.NOT_SENT, reason[:64]
        logger.info("surveys: %s invitation not sent (%s)", invitation.survey_type, reason)
    invitation.save(update_fields=["status", "sent_at", "channel", "message_id", "not_sent_reason"])
    record(
        actor=actor,
        action=AuditAction.SEND_SURVEY,
        obj=invitation,
        meta={
            "survey_type": invitation.survey_type,
            "status": invitation.status,
            "reason": invitation.not_sent_reason,
        },
    )
    events.emit(INVITATION_SENT, actor=actor, invitation=invitation)
    return invitation


def _question_labels():
    from django.utils.translation import gettext_lazy

    return {
        SurveyType.CSAT: gettext_lazy("Seberapa puas Anda dengan penyelesaian pengaduan Anda?"),
        SurveyType.CES: gettext_lazy("Seberapa mudah masalah Anda diselesaikan?"),
        SurveyType.NPS: gettext_lazy(
            "Seberapa mungkin Anda merekomendasikan bank kami kepada teman atau keluarga?"
        ),
    }


QUESTIONS = _question_labels()


# --------------------------------------------------------------------------- answers


def open_invitation(invitation_id, *, at=None) -> SurveyInvitation:
    """The invitation a valid token names, if it may still be answered; NotFound otherwise
    (unknown, never sent, expired or answered — the page says the same for all)."""
    at = at or timezone.now()
    found = (
        SurveyInvitation.objects.visible_to(SURVEY_RESPONDENT)
        .select_related("customer")
        .filter(pk=invitation_id, status=S.SENT, responded_at__isnull=True, expires_at__gt=at)
        .first()
    )
    if found is None:
        raise NotFound
    return found


@transaction.atomic
def response_record(
    *, actor, invitation: SurveyInvitation, score, comment: str = "", at=None
) -> SurveyInvitation:
    """The customer's answer, once: the score on the type's scale (no default), an optional
    comment (≤ 1000 characters, no control characters); RECORD_SURVEY_RESPONSE, then
    ``surveys.response_recorded``. A second answer, an expired link or an unknown invitation
    is NotFound, like a forged link."""
    authz.require(actor, SURVEY_RESPOND)
    at = at or timezone.now()
    locked = (
        SurveyInvitation.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=invitation.pk, status=S.SENT, responded_at__isnull=True, expires_at__gt=at)
        .first()
    )
    if locked is None:
        raise NotFound
    low, high = locked.scale
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ServiceError(
            "score_invalid",
            _("Pilih satu nilai dari %(low)d sampai %(high)d.") % {"low": low, "high": high},
            field="score",
        )
    comment = (comment if isinstance(comment, str) else "").strip()
    if problem_in_text(comment) or len(comment) > COMMENT_MAX:
        raise ServiceError(
            "comment_invalid",
            _("Komentar paling banyak %d karakter, tanpa karakter kontrol.") % COMMENT_MAX,
            field="comment",
        )
    locked.score, locked.comment, locked.responded_at = score, comment, at
    locked.status = S.RESPONDED
    locked.save(update_fields=["score", "comment", "responded_at", "status"])
    record(
        actor=actor,
        action=AuditAction.RECORD_SURVEY_RESPONSE,
        obj=locked,
        meta={"survey_type": locked.survey_type, "score": score, "comment_length": len(comment)},
    )
    events.emit(RESPONSE_RECORDED, actor=actor, invitation=locked)
    return locked
