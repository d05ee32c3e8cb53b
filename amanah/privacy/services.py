"""Every write of UU PDP rights: the access export, correction requests and their review,
personal-data breach incidents and their notification.

Each runs in one transaction: permission and scope, validation, the rows, the domain event
(workflow moves emit theirs) and the audit row. Reviews and notifications are moves of the
workflow engine (``privacy.correction``, ``privacy.breach``)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers import validation
from amanah.customers.models import Customer, Gender
from amanah.customers.services import CustomerInput, customer_input_of, customer_update
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz
from amanah.privacy import export
from amanah.privacy.models import (
    NOTIFY_WITHIN,
    AccessRequest,
    BreachIncident,
    BreachStatus,
    CorrectableField,
    CorrectionRequest,
    CorrectionStatus,
)
from amanah.privacy.policies import (
    PRIVACY_BREACH_MANAGE,
    PRIVACY_CORRECTION_REQUEST,
    PRIVACY_CORRECTION_REVIEW,
    PRIVACY_DSAR,
)
from amanah.workflow.contract import transition_apply

OWNER_KIND = "privacy.AccessRequest"  # the owner kind privacy registers with documents
DOC_TYPE = "DSAR_EXPORT"
TEXT_MAX = 2000
# Not a person: it issues the export of a request the officer made, and nothing else.
ISSUER = declare_actor(
    "privacy-dsar", permissions=(PRIVACY_DSAR, DOCUMENT_UPLOAD), all_branches=True
)


def _text(value, *, field: str, minimum: int = 0, maximum: int = TEXT_MAX) -> str:
    value = " ".join(value.split()) if isinstance(value, str) and "\n" not in value else value
    value = (value if isinstance(value, str) else "").strip()
    if problem_in_text(value) or len(value) > maximum:
        raise ServiceError(
            "text_invalid",
            _("Isian memuat karakter yang tidak diizinkan atau terlalu panjang (maks. %(n)d).")
            % {"n": maximum},
            field=field,
        )
    if len(value) < minimum:
        raise ServiceError(
            "text_required",
            _("Isian wajib diisi (minimal %(n)d karakter).") % {"n": minimum},
            field=field,
        )
    return value


# --------------------------------------------------------------------------- access export


def export_key(request: AccessRequest) -> str:
    return f"privacy.dsar:{request.pk}"


@transaction.atomic
def dsar_create(*, actor, customer: Customer, reference: str) -> AccessRequest:
    """Answer a data subject's access request: the export of everything the apps keep about
    ``customer`` and the processing trail, kept as a signed document of the request (the PDF,
    with the JSON embedded). The customer must be in the officer's branches (else 404);
    audited DSAR_EXPORT with the counts (never the data)."""
    authz.require(actor, PRIVACY_DSAR)
    if customer.is_merged or not authz.branch_scope(actor).allows(customer.home_branch_id):
        raise NotFound()
    reference = _text(reference, field="reference", minimum=3, maximum=200)
    request = AccessRequest.objects.create(
        customer=customer, reference=reference, requested_by=actor
    )
    made = export.build(customer, request=request, made_by=actor.full_name or actor.username)
    data = export.as_json(made)
    short = str(request.pk)[:8]
    generated = documents.document_generate(
        actor=ISSUER,
        data=documents.DocumentInput(
            owner_kind=OWNER_KIND,
            owner_id=str(request.pk),
            title=f"Ekspor data subjek {short}",
            doc_type=DOC_TYPE,
        ),
        key=export_key(request),
        filename=f"ekspor-data-subjek-{short}.pdf",
        make=lambda: export.as_pdf(made, data),
        reason="Ekspor data subjek (UU PDP)",
    )
    sections, stored, trail = export.counts(made)
    request.document_id = generated.document.pk
    request.json_sha256 = hashlib.sha256(data).hexdigest()
    request.sections, request.stored_rows, request.trail_rows = sections, stored, trail
    request.save(
        update_fields=["document_id", "json_sha256", "sections", "stored_rows", "trail_rows"]
    )
    audit.record(
        actor=actor,
        action=AuditAction.DSAR_EXPORT,
        obj=request,
        meta={
            "customer": str(customer.pk),
            "sections": sections,
            "rows": stored,
            "trail_rows": trail,
            "document": str(generated.document.pk),
        },
    )
    return request


FORMATS = {"pdf": "application/pdf", "json": "application/json"}


@transaction.atomic
def dsar_download(*, actor, request: AccessRequest, fmt: str, reason: str) -> tuple[str, bytes]:
    """The export as a file: the signed PDF, or the JSON it carries. Read through documents'
    download (the document's scope, the reason a DSAR export needs, audited
    DOWNLOAD_DOCUMENT) and audited DSAR_DOWNLOAD with the format."""
    authz.require(actor, PRIVACY_DSAR, request)
    if fmt not in FORMATS:
        raise ServiceError("format_invalid", _("Pilih PDF atau JSON."), field="format")
    issued = documents.generated_find(export_key(request))
    if issued is None:
        raise NotFound()
    version, pdf = documents.version_download(
        actor=actor, version_id=issued.version.pk, reason=reason
    )
    body = export.json_of_pdf(pdf) if fmt == "json" else pdf
    audit.record(
        actor=actor,
        action=AuditAction.DSAR_DOWNLOAD,
        obj=request,
        meta={"format": fmt, "version": str(version.pk)},
    )
    short = str(request.pk)[:8]
    return f"ekspor-data-subjek-{short}.{fmt}", body


# --------------------------------------------------------------------------- corrections


def _date(value: str) -> date:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ServiceError(
        "date_invalid",
        _("Tanggal lahir: tulis TTTT-BB-HH, misalnya 1985-04-17."),
        field="new_value",
    )


def clean_value(field: str, value) -> str:
    """The corrected value as it will be stored, or a clear refusal for that field."""
    value = _text(value, field="new_value", minimum=1, maximum=200)
    try:
        if field == CorrectableField.FULL_NAME:
            if len(value) < 2:
                raise ServiceError("name_required", _("Nama minimal 2 karakter."))
            return value
        if field == CorrectableField.BIRTH_DATE:
            born = _date(value)
            if not date(1900, 1, 1) <= born <= timezone.localdate():
                raise ServiceError("date_invalid", _("Tanggal lahir di luar rentang wajar."))
            return born.isoformat()
        if field == CorrectableField.GENDER:
            code = value.upper()[:1]
            if code not in Gender.values:
                raise ServiceError("gender_invalid", _("Jenis kelamin: M, F atau U."))
            return code
        if field == CorrectableField.PHONE:
            return validation.normalize_phone(value)
        if field == CorrectableField.EMAIL:
            return validation.normalize_email(value)
    except ServiceError as error:
        raise ServiceError(error.code, error.message, field="new_value") from None
    raise ServiceError("field_invalid", _("Kolom ini tidak dapat dikoreksi."), field="field")


def stored_value(customer: Customer, field: str) -> str:
    value = getattr(customer, field)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


@transaction.atomic
def correction_request(
    *, actor, customer: Customer, field: str, new_value: str, reason: str
) -> CorrectionRequest:
    """Record a data subject's request to correct one field of their master data, with the
    value stored now; a second person reviews it. Audited REQUEST_CORRECTION (the field's
    name, never its values)."""
    authz.require(actor, PRIVACY_CORRECTION_REQUEST, customer)
    if field not in CorrectableField.values:
        raise ServiceError("field_invalid", _("Kolom ini tidak dapat dikoreksi."), field="field")
    value = clean_value(field, new_value)
    reason = _text(reason, field="reason", minimum=5)
    old = stored_value(customer, field)
    if value == old:
        raise ServiceError(
            "no_change", _("Nilai baru sama dengan yang tersimpan."), field="new_value"
        )
    already = ServiceError(
        "already_requested",
        _("Sudah ada permintaan koreksi yang menunggu tinjauan untuk kolom ini."),
        field="field",
    )
    if CorrectionRequest.objects.filter(
        customer=customer, field=field, status=CorrectionStatus.REQUESTED
    ).exists():
        raise already
    try:
        with transaction.atomic():
            correction = CorrectionRequest.objects.create(
                customer=customer,
                field=field,
                old_value=old[:200],
                new_value=value,
                reason=reason,
                requested_by=actor,
            )
    except IntegrityError:  # the same request twice at once (partial unique constraint)
        raise already from None
    audit.record(
        actor=actor,
        action=AuditAction.REQUEST_CORRECTION,
        obj=correction,
        meta={"customer": str(customer.pk), "field": field},
    )
    return correction


def decided_by_someone_else(correction: CorrectionRequest, data: dict) -> bool:
    """Workflow guard: the person who recorded a request never reviews it."""
    return correction.requested_by_id != getattr(data["actor"], "pk", None)


def _customer_input(customer: Customer, field: str, value: str) -> CustomerInput:
    data = customer_input_of(customer)
    if field == CorrectableField.BIRTH_DATE:
        data.birth_date = date.fromisoformat(value)
    elif field == CorrectableField.PHONE:
        data.phone = value
    else:
        setattr(data, field, value)
    return data


def correction_on_apply(correction: CorrectionRequest, *, transition, data: dict, at) -> list:
    """Keep who and when; an approval applies the value through the customer update service
    (its own permission, scope, validation and UPDATE_CUSTOMER audit row), refused when the
    stored value changed since the request was recorded."""
    actor = data["actor"]
    correction.decided_by, correction.decided_at = actor, at
    fields = ["decided_by", "decided_at"]
    note = data.get("decision_note", "")
    if note:
        correction.decision_note = _text(note, field="decision_note")
        fields.append("decision_note")
    data["audit"].update({"customer": str(correction.customer_id), "field": correction.field})
    if transition.to_status == CorrectionStatus.APPLIED:
        customer = Customer.objects.select_for_update().get(pk=correction.customer_id)
        if stored_value(customer, correction.field)[:200] != correction.old_value:
            raise ServiceError(
                "changed_since",
                _("Data nasabah sudah berubah sejak permintaan dicatat; tolak dan catat ulang."),
            )
        customer_update(
            actor=actor,
            customer=customer,
            data=_customer_input(customer, correction.field, correction.new_value),
        )
    return fields


def correction_apply(*, actor, correction: CorrectionRequest, note: str = "") -> CorrectionRequest:
    authz.require(actor, PRIVACY_CORRECTION_REVIEW, correction)
    return transition_apply(
        actor=actor, obj=correction, to=CorrectionStatus.APPLIED, decision_note=note
    )


def correction_reject(*, actor, correction: CorrectionRequest, note: str) -> CorrectionRequest:
    authz.require(actor, PRIVACY_CORRECTION_REVIEW, correction)
    if isinstance(note, str):
        note = _text(note, field="decision_note")
    return transition_apply(
        actor=actor, obj=correction, to=CorrectionStatus.REJECTED, decision_note=note
    )


# --------------------------------------------------------------------------- breaches

# How far back a discovery may be dated (older: a typing mistake, not an incident).
DISCOVERED_WITHIN = timedelta(days=366)
SUBJECTS_MAX = 300_000_000


@transaction.atomic
def breach_record(
    *,
    actor,
    title: str,
    description: str,
    data_categories: str,
    subjects_affected,
    discovered_at: datetime,
) -> BreachIncident:
    """Record a personal-data breach: its notification deadline is 3 × 24 hours after the
    bank became aware of it (UU PDP Pasal 46). Audited RECORD_BREACH."""
    authz.require(actor, PRIVACY_BREACH_MANAGE)
    title = _text(title, field="title", minimum=5, maximum=200)
    description = _text(description, field="description", minimum=10)
    categories = _text(data_categories, field="data_categories", minimum=3, maximum=300)
    if isinstance(subjects_affected, bool) or not isinstance(subjects_affected, int):
        raise ServiceError("number_invalid", _("Isi jumlah subjek."), field="subjects_affected")
    if not 0 <= subjects_affected <= SUBJECTS_MAX:
        raise ServiceError(
            "number_invalid", _("Jumlah subjek di luar rentang."), field="subjects_affected"
        )
    now = timezone.now()
    if not isinstance(discovered_at, datetime) or timezone.is_naive(discovered_at):
        raise ServiceError("date_invalid", _("Isi waktu diketahui."), field="discovered_at")
    if discovered_at > now + timedelta(minutes=5) or discovered_at < now - DISCOVERED_WITHIN:
        raise ServiceError(
            "date_invalid",
            _("Waktu diketahui tidak boleh di masa depan atau lebih dari setahun lalu."),
            field="discovered_at",
        )
    incident = BreachIncident.objects.create(
        title=title,
        description=description,
        data_categories=categories,
        subjects_affected=subjects_affected,
        discovered_at=discovered_at,
        notify_by=discovered_at + NOTIFY_WITHIN,
        recorded_by=actor,
        recorded_at=now,
    )
    audit.record(
        actor=actor,
        action=AuditAction.RECORD_BREACH,
        obj=incident,
        meta={"count": subjects_affected, "until": incident.notify_by.isoformat()},
    )
    return incident


def breach_on_apply(incident: BreachIncident, *, transition, data: dict, at) -> list:
    if transition.to_status == BreachStatus.NOTIFIED:
        incident.notified_at, incident.notified_by = at, data["actor"]
        data["audit"]["late"] = at > incident.notify_by
        return ["notified_at", "notified_by"]
    incident.closed_at = at
    return ["closed_at"]


def breach_notify(*, actor, incident: BreachIncident, note: str) -> BreachIncident:
    """Record that the subjects and the authority were told (to whom, how): the timer stops;
    a notice after the deadline stays flagged late."""
    authz.require(actor, PRIVACY_BREACH_MANAGE, incident)
    if isinstance(note, str) and note.strip():
        note = _text(note, field="notification_note", minimum=5)
    return transition_apply(
        actor=actor, obj=incident, to=BreachStatus.NOTIFIED, notification_note=note
    )


def breach_close(*, actor, incident: BreachIncident) -> BreachIncident:
    authz.require(actor, PRIVACY_BREACH_MANAGE, incident)
    return transition_apply(actor=actor, obj=incident, to=BreachStatus.CLOSED)
