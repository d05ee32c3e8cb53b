"""/api/v1/imports: batch import of rows for a declared import target (``imports``).

/api/v1/intake: a case from an external system (a call centre, mobile banking …) with an
API key holding ``case.create``. Same matching rule as inbound WhatsApp; idempotent by the
caller's ``idempotency_key`` (per system): a repeat answers 200 with the first result."""

from __future__ import annotations

import json
from uuid import UUID

from django.db import transaction
from ninja import Router, Schema, Status

from amanah.cases.policies import CASE_CREATE
from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.integrations.intake import MAX_TEXT, intake_from_api
from amanah.integrations.policies import IMPORT_RUN

router = Router(tags=["intake"])


class IntakeIn(Schema):
    idempotency_key: Text(200, min_length=1)
    phone: Text(32, min_length=1)
    text: Text(MAX_TEXT, min_length=1)
    channel: Text(20) = "MOBILE"


class IntakeOut(Schema):
    intake_id: UUID
    status: str
    case_no: str | None
    replayed: bool


@router.post("/cases", response={200: IntakeOut, 201: IntakeOut}, **permission(CASE_CREATE))
def intake_case(request, payload: IntakeIn):
    """A complaint from outside: a new case (201), a note on the customer's open case from the
    same channel, or — when the number matches no single customer in the system's scope — a
    message in the unmatched queue for an agent (`status` says which)."""
    result = intake_from_api(
        actor=request.auth,
        idempotency_key=payload.idempotency_key,
        phone=payload.phone,
        text=payload.text,
        channel=payload.channel,
    )
    intake = result.intake
    body = {
        "intake_id": intake.pk,
        "status": intake.status,
        "case_no": intake.case.case_no if intake.case_id else None,
        "replayed": not result.created,
    }
    return Status(201 if result.created else 200, body)


# --------------------------------------------------------------------------- batch import

imports_router = Router(tags=["imports"])
MAX_API_ROWS = 10_000
Cell = str | int | float | bool | None


class ImportIn(Schema):
    target: Text(60, min_length=1)
    rows: list[dict[str, Cell]]
    # column -> field; without it, columns named like a field (or the source's stored mapping)
    mapping: dict[str, str] | None = None


class ImportOut(Schema):
    batch_id: UUID
    target: str
    status: str
    total_rows: int
    rows_done: int
    valid_rows: int
    error_rows: int
    created_rows: int
    unchanged_rows: int
    failure: str


class ImportErrorOut(Schema):
    line: int
    column: str
    message: str


def _batch_out(batch) -> dict:
    return {
        "batch_id": batch.pk,
        **{
            f: getattr(batch, f)
            for f in (
                "target", "status", "total_rows", "rows_done", "valid_rows", "error_rows",
                "created_rows", "unchanged_rows", "failure",
            )
        },
    }  # fmt: skip


@imports_router.post("", response={201: ImportOut}, **permission(IMPORT_RUN))
def import_create(request, payload: ImportIn):
    """A batch of rows (at most 10,000 per call; line 2 is the first row, as in a file) for an
    import target. The dry run starts at once; poll the batch, then ``POST …/run`` when its
    status is ``VALID``. All or nothing; a row whose source key exists changes nothing."""
    from amanah.core.errors import ServiceError
    from amanah.integrations import imports
    from amanah.integrations.models import ExternalSystem, ImportFormat

    if len(payload.rows) > MAX_API_ROWS:
        raise ServiceError(
            "import_too_many", f"At most {MAX_API_ROWS} rows per call.", field="rows"
        )
    actor = request.auth
    system = ExternalSystem.objects.filter(name=getattr(actor, "name", None)).first()
    content = json.dumps({"rows": payload.rows}, ensure_ascii=False).encode()
    with transaction.atomic():  # a refused mapping keeps nothing of the call
        batch = imports.import_batch_create(
            actor=actor,
            target=payload.target,
            file_name="",
            content=content,
            file_format=ImportFormat.JSON,
            system=system,
        )
        mapping = payload.mapping
        if mapping is None:
            mapping = imports.suggested_mapping(batch)
        batch = imports.import_mapping_set(actor=actor, batch_id=batch.pk, mapping=mapping)
    return Status(201, _batch_out(batch))


@imports_router.get("/{batch_id}", response=ImportOut, **permission(IMPORT_RUN))
def import_get(request, batch_id: UUID):
    """A batch's status and counts (the progress while a step runs)."""
    from amanah.integrations import selectors

    return _batch_out(selectors.import_batch_get(actor=request.auth, batch_id=batch_id))


@imports_router.get("/{batch_id}/errors", response=list[ImportErrorOut], **permission(IMPORT_RUN))
def import_errors(request, batch_id: UUID):
    """The refused rows: line, column and the reason (Indonesian); the first 1,000."""
    from amanah.integrations import selectors
    from amanah.integrations.models import ImportRowError

    batch = selectors.import_batch_get(actor=request.auth, batch_id=batch_id)
    return list(
        ImportRowError.objects.visible_to(request.auth)
        .filter(batch=batch)
        .values("line", "column", "message")[:1000]
    )


@imports_router.post("/{batch_id}/run", response=ImportOut, **permission(IMPORT_RUN))
def import_start(request, batch_id: UUID):
    """Queue the real run of a batch whose dry run passed (status ``VALID``)."""
    from amanah.integrations import imports

    return _batch_out(imports.import_batch_run(actor=request.auth, batch_id=batch_id))
