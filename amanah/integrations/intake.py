"""Case intake from channels: inbound WhatsApp (an event of the messaging hub), the intake
API and e-mail (an IMAP mailbox read by a job, ``mailbox``) become cases, notes on an open
case, or rows of the "unmatched" queue.

**Matching rule** (one, for every channel): the sender's number, normalised to E.164 by
``customers.validation.normalize_phone``, equals ``phone_e164`` of exactly one customer that
was not merged away (``merged_into`` empty) — for e-mail, the sender's address normalised by
``normalize_email`` equals ``email`` (``MATCH_FIELDS``). None or several → unmatched: guessing
between two customers would file a complaint in a stranger's name.

**Case or note.** A matched customer with a case from the same channel, still open and
received within ``INTEGRATIONS_INTAKE_NOTE_DAYS``, gets the message as a note on the newest such
case; otherwise a new case opens (category/priority from ``INTEGRATIONS_INTAKE_CATEGORY`` /
``_PRIORITY``; an agent re-triages). The receipt to the customer is the case's own
(``cases.case_created`` → messaging's case notice): nothing is sent from here.

**One decision at a time per customer.** "Note on the open case, or a new case" reads, then
writes: two messages of one customer at the same moment (two API calls with different keys, a
WhatsApp message beside a call-centre ticket) would both find no open case and open two.
``_take`` therefore locks the matched customer's row ``FOR NO KEY UPDATE`` before it decides —
the very lock consent changes take (``consent.contract.lock_customer_for_consent``) — and
matches again in that statement, so a customer merged away or renumbered meanwhile drops out
(unmatched queue, never a case in the wrong name). The second caller waits for the first to
commit, then sees its case and adds a note. Why this lock and not an advisory one: it also
orders us against a merge (which updates the absorbed row) and it is the lock the house
already takes for "one change of this customer at a time"; it lets foreign-key checks (new
cases, notes, ``LastInbound``) pass. The cost: it waits for a campaign/outbox batch holding
the customer ``FOR SHARE`` (as a consent change does) — a batch's length, never a deadlock,
since that batch takes nothing we hold before it commits.

**Lock order** (every intake transaction): the intake row (its unique key) → the customer
row (``_lock_customer``) → the case rows (case number sequence, then the case) → the audit
chain lock last (``audit.record``). The WhatsApp path has upserted ``LastInbound`` for the
sender's number before that (messaging's ``service_window.record_inbound``); nothing takes
the customer row and then ``LastInbound`` while waiting for us.

**Once only.** ``InboundIntake`` is unique per (source, external id): the provider's message id
for a webhook, the caller's idempotency key for the API. The row is inserted first, in a
savepoint; a duplicate (also a concurrent one: the second insert waits for the first to commit)
hits the constraint and changes nothing.

**Never lose a message.** If the case cannot be created for a configuration reason (no SLA rule
for the configured category, say), the message goes to the unmatched queue instead of failing
the webhook (which the provider would retry forever). The text is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import services as cases
from amanah.cases.models import OPEN_STATUSES, Case, NoteKind
from amanah.cases.models import Channel as CaseChannel
from amanah.cases.policies import CASE_CREATE, CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core.actors import IntegrationActor, declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import FORBIDDEN
from amanah.customers.models import Customer, CustomerIdentifier, IdentifierType
from amanah.customers.policies import CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH
from amanah.customers.validation import normalize_email, normalize_phone
from amanah.iam import authz
from amanah.integrations.models import InboundIntake, IntakeChannel, IntakeStatus
from amanah.integrations.policies import INTAKE_LINK

logger = logging.getLogger(__name__)

MAX_TEXT = 4096  # WhatsApp's own limit for a text message
INTAKE_OWNER = "integrations.InboundIntake"  # documents' owner kind (an unmatched e-mail's files)
WHATSAPP_INTAKE = declare_actor(
    "whatsapp-intake",
    permissions=(
        CUSTOMER_VIEW,
        CUSTOMER_VIEW_BRANCH,
        CASE_VIEW,
        CASE_VIEW_BRANCH,
        CASE_CREATE,
        CASE_UPDATE,
    ),
    all_branches=True,
)


@dataclass(frozen=True)
class IntakeResult:
    intake: InboundIntake
    created: bool  # False: the same message/key was taken before; nothing changed now


def _clean_text(text: str) -> str:
    return FORBIDDEN.sub("", text or "").strip()[:MAX_TEXT]


def _phone(raw: str) -> str:
    try:
        return normalize_phone((raw or "")[:32])
    except ServiceError:
        return ""


def _email(raw: str) -> str:
    try:
        return normalize_email((raw or "")[:254])
    except ServiceError:
        return ""


# How a channel's sender is matched: the customer field holding the normalised address.
MATCH_FIELDS = {"phone": "phone_e164", "email": "email"}


def match_customer(address: str, candidates=None, *, by: str = "phone") -> Customer | None:
    """The one customer with this normalised address (E.164 number, or e-mail address), or
    None (unknown, unreadable or ambiguous)."""
    if not address:
        return None
    base = Customer.objects.all() if candidates is None else candidates
    found = list(
        base.filter(**{MATCH_FIELDS[by]: address}, merged_into__isnull=True)
        .select_related("home_branch")
        .order_by()[:2]
    )
    return found[0] if len(found) == 1 else None


def _lock_customer(customer: Customer, address: str, by: str = "phone") -> Customer | None:
    """The matched customer's row, locked ``FOR NO KEY UPDATE`` until COMMIT (see "One
    decision at a time per customer"), re-matched in the same statement: after waiting for a
    lock holder, PostgreSQL re-checks the row, so None when it was merged away or its address
    changed meanwhile. Only our own row (``of=("self",)``), not the joined branch."""
    return (
        Customer.objects.select_for_update(no_key=True, of=("self",))
        .select_related("home_branch")
        .filter(pk=customer.pk, merged_into__isnull=True, **{MATCH_FIELDS[by]: address})
        .first()
    )


def _description(case_channel: str, text: str) -> str:
    label = CaseChannel(case_channel).label
    return f"[{label}] {text}" if text else f"[{label}]"


def _open_case(actor, customer: Customer, case_channel: str) -> Case | None:
    since = timezone.now() - timedelta(days=settings.INTEGRATIONS_INTAKE_NOTE_DAYS)
    return (
        Case.objects.visible_to(actor)
        .filter(
            customer=customer,
            channel=case_channel,
            status__in=OPEN_STATUSES,
            received_at__gte=since,
        )
        .order_by("-received_at")
        .first()
    )


def _file(actor, intake: InboundIntake, customer: Customer, *, allow_note: bool) -> None:
    """A note on the customer's open case from this channel, or a new case."""
    case = _open_case(actor, customer, intake.case_channel) if allow_note else None
    if case is not None:
        cases.case_add_note(
            actor=actor,
            case=case,
            message=_description(intake.case_channel, intake.text),
            kind=NoteKind.CUSTOMER,  # the customer writing again is no response to them
        )
        intake.status = IntakeStatus.NOTE_ADDED
    else:
        case = cases.case_create(
            actor=actor,
            data=cases.CaseInput(
                customer=customer,
                channel=intake.case_channel,
                category_code=settings.INTEGRATIONS_INTAKE_CATEGORY,
                priority=settings.INTEGRATIONS_INTAKE_PRIORITY,
                description=_description(intake.case_channel, intake.text),
            ),
        )
        intake.status = IntakeStatus.CASE_CREATED
    intake.customer, intake.case = customer, case


def _keep_attachments(actor, intake: InboundIntake, attachments) -> None:
    """The checked files of an e-mail as EVIDENCE documents of its case — or of the intake
    row itself while it waits unmatched (``integrations.InboundIntake`` is an owner kind)."""
    from amanah.documents import contract as documents

    owner_kind, owner_id = (
        ("cases.Case", intake.case_id) if intake.case_id else (INTAKE_OWNER, intake.pk)
    )
    for checked in attachments:
        documents.document_create(
            actor=actor,
            data=documents.DocumentInput(
                owner_kind=owner_kind,
                owner_id=str(owner_id),
                title=checked.original_name,
                doc_type="EVIDENCE",
            ),
            checked=checked,
        )


def _take(
    actor,
    *,
    channel,
    source,
    external_id,
    from_address,
    text,
    case_channel,
    candidates,
    by="phone",
    attachments=(),
    refused_attachments=(),
):
    """Insert the intake row once, then file it (case, note) or leave it unmatched; an
    e-mail's checked attachments are kept with it (``_keep_attachments``)."""
    address = _email(from_address) if by == "email" else _phone(from_address)
    try:
        with transaction.atomic():
            intake = InboundIntake.objects.create(
                channel=channel,
                source=source[:60],
                external_id=external_id[:200],
                from_address=address,
                text=_clean_text(text),
                case_channel=case_channel,
                status=IntakeStatus.UNMATCHED,
                refused_attachments=[code[:40] for code in refused_attachments],
            )
    except IntegrityError:
        existing = InboundIntake.objects.get(source=source[:60], external_id=external_id[:200])
        return IntakeResult(existing, created=False)
    customer = match_customer(intake.from_address, candidates, by=by)
    if customer is not None:
        customer = _lock_customer(customer, intake.from_address, by)  # before deciding
    reason = "no_match" if customer is None else ""
    if customer is not None:
        allow_note = authz.has_perm(actor, CASE_UPDATE)
        try:
            with transaction.atomic():
                _file(actor, intake, customer, allow_note=allow_note)
                intake.save(update_fields=["status", "customer", "case"])
                _keep_attachments(actor, intake, attachments)
        except (ServiceError, NotFound) as exc:
            # Configuration (no SLA rule, inactive category): queue it, never lose it.
            reason = getattr(exc, "code", "not_found")
            logger.warning("intake: case not created (%s); message queued as unmatched", reason)
            intake.status, intake.customer, intake.case = IntakeStatus.UNMATCHED, None, None
    if intake.status == IntakeStatus.UNMATCHED:
        _keep_attachments(actor, intake, attachments)
    audit.record(
        actor=actor,
        action=AuditAction.RECEIVE_INTAKE,
        obj=intake,
        meta={
            "channel": channel,
            "status": intake.status,
            "case_no": intake.case.case_no if intake.case else "",
            "reason": reason,
            **(
                {"attachments": len(attachments), "refused": list(intake.refused_attachments)}
                if channel == IntakeChannel.EMAIL
                else {}
            ),
        },
    )
    return IntakeResult(intake, created=True)


def on_inbound_received(*, actor, message) -> None:
    """Handler of ``messaging.inbound_received`` (a WhatsApp/SMS message that is no STOP
    reply), inside the webhook's transaction. Only WhatsApp opens cases for now, and only
    while ``INTEGRATIONS_WHATSAPP_INTAKE`` is on."""
    if not settings.INTEGRATIONS_WHATSAPP_INTAKE:
        return
    if message.channel != CaseChannel.WHATSAPP or not message.provider_message_id:
        return
    _take(
        WHATSAPP_INTAKE,
        channel=IntakeChannel.WHATSAPP,
        source=f"whatsapp:{message.provider}",
        external_id=message.provider_message_id,
        from_address=message.from_address,
        text=message.text,
        case_channel=CaseChannel.WHATSAPP,
        candidates=None,
    )


def _api_source(actor) -> str:
    """Idempotency keys are the caller's: one namespace per system (or per user token)."""
    if isinstance(actor, IntegrationActor):
        return f"api:{actor.name}"
    return f"api-user:{actor.pk}"


@transaction.atomic
def intake_from_api(
    *, actor, idempotency_key: str, phone: str, text: str, channel: str
) -> IntakeResult:
    """``POST /api/v1/intake/cases``: the same rule, for a system holding CASE_CREATE; the
    customer must be one the system may see. Idempotent by the caller's key (per system)."""
    authz.require(actor, CASE_CREATE)
    idempotency_key = (idempotency_key or "").strip()
    if not idempotency_key:
        raise ServiceError(
            "idempotency_key_required",
            _("Kunci idempotensi wajib diisi."),
            field="idempotency_key",
        )
    if channel not in CaseChannel.values:
        raise ServiceError("channel_required", _("Pilih kanal pengaduan."), field="channel")
    text = _clean_text(text)
    if len(text) < cases.MIN_CHRONOLOGY:
        raise ServiceError(
            "chronology_required",
            _("Kronologi wajib diisi (minimal 10 karakter)."),
            field="text",
        )
    if not _phone(phone):
        raise ServiceError("phone_invalid", _("Nomor telepon tidak valid."), field="phone")
    return _take(
        actor,
        channel=IntakeChannel.API,
        source=_api_source(actor),
        external_id=idempotency_key,
        from_address=phone,
        text=text,
        case_channel=channel,
        candidates=Customer.objects.visible_to(actor),
    )


@transaction.atomic
def intake_link(*, actor, intake_id, cif: str) -> InboundIntake:
    """An agent links an unmatched message to a customer (by CIF, within the agent's scope);
    the case is created as the agent (CASE_CREATE) and the customer gets its receipt."""
    authz.require(actor, INTAKE_LINK)
    intake = (
        InboundIntake.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=intake_id)
        .first()
    )
    if intake is None:
        raise NotFound()
    if intake.status != IntakeStatus.UNMATCHED:
        raise ServiceError("already_linked", _("Pesan ini sudah ditautkan ke kasus."))
    cif = (cif or "").strip()
    identifier = (
        CustomerIdentifier.objects.visible_to(actor)
        .select_related("customer__home_branch")
        .filter(id_type=IdentifierType.CIF, id_value=cif[:40], customer__merged_into__isnull=True)
        .first()
        if cif
        else None
    )
    if identifier is None:
        raise ServiceError(
            "customer_not_found", _("Nasabah dengan CIF ini tidak ditemukan."), field="cif"
        )
    customer = identifier.customer
    case = cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel=intake.case_channel,
            category_code=settings.INTEGRATIONS_INTAKE_CATEGORY,
            priority=settings.INTEGRATIONS_INTAKE_PRIORITY,
            description=_description(intake.case_channel, intake.text),
        ),
    )
    intake.status, intake.customer, intake.case = IntakeStatus.LINKED, customer, case
    intake.linked_at, intake.linked_by = timezone.now(), actor
    intake.save(update_fields=["status", "customer", "case", "linked_at", "linked_by"])
    audit.record(
        actor=actor,
        action=AuditAction.LINK_INTAKE,
        obj=intake,
        meta={"case_no": case.case_no, "channel": intake.channel},
    )
    return intake
