"""The batch import (seed 003 Bab 1.2E, 16.3): files (CSV, XLSX) or an API call's rows into a
target another app declared (``registry.import_targets``, ``core.contributions.ImportTarget``).

The steps, each a service or a job:

1. ``import_batch_create`` keeps the file and reads only its header and row count; a file
   that cannot be read (wrong encoding, not a spreadsheet, too big, no header) is refused at
   once with the reason and nothing kept.
2. ``import_mapping_set`` names a target field for each column (kept per source and target,
   offered again next time) and starts the dry run (``import_check`` job): every row is
   cleaned by the target's own rules and checked against the database; each refused row is
   kept as an ``ImportRowError`` (line, column, reason in Indonesian); nothing else is
   written.
3. ``import_batch_run`` (only after a clean dry run) queues the real run (``import_run`` job):
   the rows are checked again, staged with COPY in chunks (progress commits per chunk), then
   the target writes them set-based in **one** transaction (all or nothing) and answers how
   many it created and how many already existed (idempotent by the source key: the same file
   twice changes nothing the second time).

Every step is audited with counts, never row contents. Cells are never logged.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from itertools import islice

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import access, events, registry
from amanah.core.actors import IntegrationActor, SystemActor, declare_actor, user_or_none
from amanah.core.contributions import ImportTarget, RowRefused, RowsRefused, StagedRows
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import FORBIDDEN
from amanah.core.money import MACHINE, AmountRefused
from amanah.core.progress import still_working
from amanah.iam import authz
from amanah.integrations.models import (
    ExternalSystem,
    ImportBatch,
    ImportFile,
    ImportFormat,
    ImportMapping,
    ImportRowError,
    ImportStagedRow,
    ImportStatus,
)
from amanah.integrations.policies import IMPORT_RUN

logger = logging.getLogger(__name__)

MANUAL = "manual"
# A batch may be (re)mapped, and so checked again, until its real run starts or after it failed.
MAPPABLE = (ImportStatus.UPLOADED, ImportStatus.VALID, ImportStatus.INVALID, ImportStatus.FAILED)
MAX_CELL = 1_000  # characters in one cell: longer than any field a target accepts
MAX_COLUMNS = 200
MAX_STORED_ERRORS = 100_000  # a batch's errors kept for the report (all are counted)
IGNORE = ""  # a column mapped to nothing


# --------------------------------------------------------------------------- reading files


def _refuse_file(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, field="file")


def format_of(file_name: str) -> str:
    name = (file_name or "").lower()
    if name.endswith(".xlsx"):
        return ImportFormat.XLSX
    if name.endswith((".csv", ".txt")):
        return ImportFormat.CSV
    raise _refuse_file("import_format", _("Berkas harus CSV (.csv) atau Excel (.xlsx)."))


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]  # Excel's UTF-8 byte order mark
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse_file(
            "import_encoding",
            _("Berkas tersimpan sebagai UTF-16; simpan ulang sebagai CSV UTF-8."),
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse_file(
            "import_encoding",
            _(
                "Berkas bukan UTF-8 (kesalahan pada byte ke-%(n)d). Di Excel pilih "
                "“CSV UTF-8 (Comma delimited)” saat menyimpan."
            )
            % {"n": exc.start + 1},
        ) from exc


def _csv_records(content: bytes) -> Iterator[list[str]]:
    text = _decode(content)
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = ";" if first.count(";") > first.count(",") else ","
    csv.field_size_limit(4 * MAX_CELL * 1_000)  # a longer cell is refused per row, below
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise _refuse_file(
            "import_csv",
            _("Berkas CSV rusak di sekitar baris %(n)d (tanda kutip tidak tertutup?).")
            % {"n": reader.line_num},
        ) from exc


class NumberCell(str):
    """A spreadsheet's or a JSON body's fractional number as the text a CSV would carry, the
    number kept beside it (``number``): an amount column reads the number itself, so a cell
    holding 1.125 is refused (three decimals), never read as the text ``1.125`` (thousands)."""

    number: float


def _cell_text(value) -> str:
    """An XLSX or JSON value as the text a CSV would carry. Whole numbers lose Excel's
    ``.0``; dates are ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    if isinstance(value, float):
        cell = NumberCell(repr(value))
        cell.number = value
        return cell
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | str):
        return str(value)
    return "\x00"  # a nested value: refused as a cell no field can hold


def _xlsx_records(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        # openpyxl raises whatever its zip and XML readers raise on a damaged file
        for row in rows:
            yield [_cell_text(v) for v in row]
    except ServiceError:
        raise
    except Exception as exc:  # noqa: BLE001 — any damaged/foreign file: one clear refusal
        raise _refuse_file(
            "import_xlsx", _("Berkas Excel tidak dapat dibaca (rusak atau bukan .xlsx).")
        ) from exc


def _json_records(content: bytes) -> Iterator[list[str]]:
    rows = json.loads(content)["rows"]
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    yield columns
    for row in rows:
        yield [_cell_text(row.get(c)) for c in columns]


def _records(content: bytes, file_format: str) -> Iterator[list[str]]:
    if file_format == ImportFormat.XLSX:
        return _xlsx_records(content)
    if file_format == ImportFormat.JSON:
        return _json_records(content)
    return _csv_records(content)


def _header(record: list[str] | None) -> list[str]:
    if not record or not any(c.strip() for c in record):
        raise _refuse_file("import_empty", _("Berkas kosong atau baris pertama bukan judul kolom."))
    while record and not record[-1].strip():
        record = record[:-1]  # Excel's trailing empty columns
    if len(record) > MAX_COLUMNS:
        raise _refuse_file("import_columns", _("Terlalu banyak kolom (maks. %d).") % MAX_COLUMNS)
    columns = []
    for n, raw in enumerate(record, start=1):
        name = " ".join(raw.split()) or _("(kolom %d)") % n
        if FORBIDDEN.search(name) or len(name) > 200:
            raise _refuse_file(
                "import_header", _("Judul kolom ke-%d berisi karakter tidak sah.") % n
            )
        if name in columns:
            raise _refuse_file("import_header", _("Judul kolom “%s” muncul dua kali.") % name[:60])
        columns.append(name)
    return columns


def read_rows(content: bytes, file_format: str) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """The header and an iterator of ``(line, cells)``; the header is line 1, blank rows are
    skipped (their lines still count)."""
    records = _records(content, file_format)
    columns = _header(next(records, None))

    def rows():
        for line, cells in enumerate(records, start=2):
            if any(c.strip() for c in cells):
                yield line, cells

    return columns, rows()


# --------------------------------------------------------------------------- targets, mapping


def target_get(key: str) -> ImportTarget:
    """The target ``key``; one of an app the deployment profile hides is as unknown."""
    if not isinstance(key, str) or not registry.import_targets.shows(key):
        raise ServiceError("import_target", _("Tujuan impor tidak dikenal."), field="target")
    return registry.import_targets.get(key)


def targets_for(actor) -> list[tuple[str, ImportTarget]]:
    """The targets the actor may import into (each target's own permission)."""
    return [
        (k, t) for k, t in registry.import_targets.items() if access.has_perm(actor, t.permission)
    ]


def _source_of(actor, system: ExternalSystem | None) -> str:
    return system.name if system else MANUAL


def suggested_mapping(batch: ImportBatch) -> dict:
    """The source's stored mapping for this target where its columns still exist, else the
    columns named like a field (name or label, any case)."""
    target = target_get(batch.target)
    stored = (
        ImportMapping.objects.filter(source=batch.source, target=batch.target)
        .values_list("columns", flat=True)
        .first()
    )
    fields = set(target.field_names())
    if stored:
        return {c: f for c, f in stored.items() if c in batch.columns and f in fields}
    by_name = {}
    for f in target.fields:
        by_name[f.name.lower()] = f.name
        by_name[str(f.label).lower()] = f.name
    return {c: by_name[c.lower()] for c in batch.columns if c.lower() in by_name}


def _check_mapping(target: ImportTarget, columns: list[str], mapping: dict) -> dict:
    if not isinstance(mapping, dict):
        raise ServiceError("import_mapping", _("Pemetaan kolom tidak sah."), field="mapping")
    fields = set(target.field_names())
    clean, used = {}, {}
    for column, field in mapping.items():
        if field in (None, IGNORE):
            continue
        if column not in columns or field not in fields:
            raise ServiceError(
                "import_mapping",
                _("Pemetaan menyebut kolom atau isian yang tidak ada."),
                field="mapping",
            )
        if field in used:
            raise ServiceError(
                "import_mapping",
                _("Isian “%(field)s” dipetakan dari dua kolom (%(a)s, %(b)s).")
                % {"field": field, "a": used[field][:60], "b": column[:60]},
                field="mapping",
            )
        used[field] = column
        clean[column] = field
    missing = [str(f.label) for f in target.fields if f.required and f.name not in used]
    if missing:
        raise ServiceError(
            "import_mapping",
            _("Isian wajib belum dipetakan: %s.") % ", ".join(missing),
            field="mapping",
        )
    return clean


# --------------------------------------------------------------------------- services


def _run_as(actor, target: str) -> dict:
    """Who the batch's jobs act as. A person or an API key: themselves, with their grants. The
    CLI, the demo or a test (a system actor holding everything): never every permission in a
    job, so a narrow actor holding only what this target's import needs, every branch."""
    if isinstance(actor, SystemActor):
        actor = IntegrationActor(
            f"import:{target}:{actor.username}",
            permissions={IMPORT_RUN, target_get(target).permission},
            all_branches=True,
        )
    return events.actor_reference(actor)


def _require_target(actor, key: str) -> ImportTarget:
    authz.require(actor, IMPORT_RUN)
    target = target_get(key)
    authz.require(actor, target.permission)
    return target


def import_batch_create(
    *,
    actor,
    target: str,
    file_name: str,
    content: bytes,
    file_format: str | None = None,
    system: ExternalSystem | None = None,
    mapping: dict | None = None,
) -> ImportBatch:
    """Keep an uploaded file (or an API call's rows, ``file_format=JSON``) as a new batch.
    Reads the header and counts the rows; refuses an unreadable file at once. With
    ``mapping`` (the API, or a source whose mapping is already stored) the dry run starts."""
    spec = _require_target(actor, target)
    file_name = (file_name or "").strip()[-200:]
    if FORBIDDEN.search(file_name):
        raise _refuse_file("import_name", _("Nama berkas berisi karakter tidak sah."))
    file_format = file_format or format_of(file_name)
    if len(content) > settings.INTEGRATIONS_IMPORT_MAX_BYTES:
        raise _refuse_file(
            "import_too_big",
            _("Berkas terlalu besar (maks. %d MB); bagi menjadi beberapa batch.")
            % (settings.INTEGRATIONS_IMPORT_MAX_BYTES // (1024 * 1024)),
        )
    columns, rows = read_rows(content, file_format)
    total = 0
    for total, _row in enumerate(rows, start=1):  # noqa: B007
        still_working()  # up to 2M rows read in the request
        if total > settings.INTEGRATIONS_IMPORT_MAX_ROWS:
            raise _refuse_file(
                "import_too_many",
                _("Terlalu banyak baris (maks. %d); bagi menjadi beberapa batch.")
                % settings.INTEGRATIONS_IMPORT_MAX_ROWS,
            )
    if not total:
        raise _refuse_file("import_no_rows", _("Berkas tidak berisi baris data."))
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            target=target,
            source=_source_of(actor, system),
            system=system,
            file_name=file_name,
            file_format=file_format,
            columns=columns,
            total_rows=total,
            actor_ref=_run_as(actor, target),
            created_by=user_or_none(actor),
            created_by_label=getattr(actor, "username", "")[:150],
        )
        ImportFile.objects.create(batch=batch, content=content, size=len(content))
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_UPLOAD,
            obj=batch,
            meta={"target": target, "format": file_format, "rows": total, "bytes": len(content)},
        )
        if mapping is not None:
            _mapping_apply(actor, batch, spec, mapping, keep=False)
    return batch


def _mapping_apply(actor, batch: ImportBatch, target: ImportTarget, mapping: dict, *, keep: bool):
    batch.mapping = _check_mapping(target, batch.columns, mapping)
    batch.status = ImportStatus.CHECKING
    batch.rows_done = batch.valid_rows = batch.error_rows = 0
    batch.heartbeat_at = timezone.now()
    batch.save(
        update_fields=["mapping", "status", "rows_done", "valid_rows", "error_rows", "heartbeat_at"]
    )
    if keep:
        ImportMapping.objects.update_or_create(
            source=batch.source,
            target=batch.target,
            defaults={
                "columns": batch.mapping,
                "updated_at": timezone.now(),
                "updated_by": getattr(actor, "username", "")[:150],
            },
        )
    audit.record(
        actor=actor,
        action=AuditAction.IMPORT_MAPPING,
        obj=batch,
        meta={"columns_mapped": len(batch.mapping), "kept_for_source": keep},
    )
    from amanah.integrations.tasks import import_check

    import_check.defer(batch_id=str(batch.pk))


def _locked(actor, batch_id) -> ImportBatch:
    authz.require(actor, IMPORT_RUN)
    batch = ImportBatch.objects.visible_to(actor).select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return batch


@transaction.atomic
def import_mapping_set(*, actor, batch_id, mapping: dict) -> ImportBatch:
    """Name a field for each column (kept for the source's next batch) and start the dry run.
    Allowed until the real run starts: a batch whose dry run found errors may be mapped again."""
    batch = _locked(actor, batch_id)
    target = _require_target(actor, batch.target)
    if batch.purged_at:
        raise ServiceError(
            "import_purged",
            _("Berkas batch ini sudah dihapus setelah masa simpannya; unggah ulang berkasnya."),
        )
    if batch.status not in MAPPABLE:
        raise ServiceError(
            "import_state",
            _("Batch ini tidak dapat diubah lagi (%s).") % batch.get_status_display(),
        )
    _mapping_apply(actor, batch, target, mapping, keep=True)
    return batch


@transaction.atomic
def import_batch_run(*, actor, batch_id) -> ImportBatch:
    """Queue the real run of a batch whose dry run found no error."""
    batch = _locked(actor, batch_id)
    _require_target(actor, batch.target)
    if batch.status != ImportStatus.VALID:
        raise ServiceError(
            "import_state",
            _("Hanya batch yang lolos uji coba yang dapat diimpor (status: %s).")
            % batch.get_status_display(),
        )
    batch.status = ImportStatus.QUEUED
    batch.rows_done = 0
    batch.heartbeat_at = timezone.now()
    batch.actor_ref = _run_as(actor, batch.target)  # the run acts for whoever started it
    batch.save(update_fields=["status", "rows_done", "actor_ref", "heartbeat_at"])
    audit.record(actor=actor, action=AuditAction.IMPORT_RUN, obj=batch, meta={"step": "queued"})
    from amanah.integrations.tasks import import_run

    import_run.defer(batch_id=str(batch.pk))
    return batch


# --------------------------------------------------------------------------- checking rows


def _cell_problem(cell: str) -> str | None:
    if FORBIDDEN.search(cell):
        return _("Sel berisi karakter kontrol (mis. NUL) yang tidak diizinkan.")
    if len(cell) > MAX_CELL:
        return _("Sel terlalu panjang (maks. %d karakter).") % MAX_CELL
    return None


def _row_values(line, cells, columns, fields, index, column_of, problems) -> dict | None:
    """The row's mapped cells by field (stripped), or None with its problems appended. One
    test of the whole row first (control characters, lengths): the cells are looked at one
    by one only when it finds something."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        problems.append((line, "", _("Baris berisi lebih banyak sel daripada judul kolom.")))
        return None
    width = len(cells)
    if FORBIDDEN.search("\n".join(cells)) or max(map(len, cells), default=0) > MAX_CELL:
        found = False
        for field in fields:
            position = index.get(field)
            if position is not None and position < width:
                problem = _cell_problem(cells[position])
                if problem:
                    problems.append((line, column_of[field], problem))
                    found = True
        if found:
            return None
    return {
        field: cells[position].strip()
        if (position := index.get(field)) is not None and position < width
        else ""
        for field in fields
    }


def _amounts_read(line, row, cells, index, amounts, column_of, problems) -> dict | None:
    """The amount fields' cells read by the house's one rule (``core.money``, a machine
    file's reading: ``1.500.000,00``, ``Rp 1.500.000``, ``1500000.00``; a spreadsheet's number
    as it is), an empty cell as None; None with the reasons appended for a cell it refuses."""
    read = True
    for field, amount in amounts.items():
        if not row[field]:
            row[field] = None
            continue
        cell = cells[index[field]]
        try:
            row[field] = amount.read(getattr(cell, "number", row[field]), source=MACHINE)
        except AmountRefused as refused:
            problems.append((line, column_of[field], refused.message))
            read = False
    return row if read else None


def _clean_all(target: ImportTarget, rows: list[dict]) -> list:
    if target.clean_rows:
        return target.clean_rows(rows)
    out = []
    for values in rows:
        try:
            out.append(target.clean(values))
        except (RowRefused, ServiceError) as refused:
            out.append(refused)
    return out


def _checked_chunks(batch: ImportBatch, target: ImportTarget, actor, content: bytes):
    """``(good, errors, rows)`` per chunk: ``good`` = ``[(line, key, data)]``, ``errors`` =
    ``[(line, column, message)]``. Raises ``ServiceError`` for a file that cannot be read.
    The CSV is parsed as a stream; each chunk's rows are cleaned together (the target's
    ``clean_rows`` where it has one) and checked against the database in one go."""
    columns, rows = read_rows(content, batch.file_format)
    column_of = {f: c for c, f in batch.mapping.items()}
    index = {f: columns.index(c) for c, f in batch.mapping.items() if c in columns}
    fields = target.field_names()
    amounts = {f.name: f.amount for f in target.fields if f.amount}
    key_field = target.key_field
    key_column = column_of.get(key_field, "")
    seen: dict[str, int] = {}
    chunk_size = settings.INTEGRATIONS_IMPORT_CHUNK
    while chunk := list(islice(rows, chunk_size)):
        good, errors, lines, values = [], [], [], []
        for line, cells in chunk:
            row = _row_values(line, cells, columns, fields, index, column_of, errors)
            if row is not None and amounts:
                row = _amounts_read(line, row, cells, index, amounts, column_of, errors)
            if row is not None:
                lines.append(line)
                values.append(row)
        for line, data in zip(lines, _clean_all(target, values), strict=True):
            if isinstance(data, RowRefused | ServiceError):
                field = data.field or ""
                errors.append((line, column_of.get(field, ""), data.message))
                continue
            key = str(data[key_field])
            first = seen.setdefault(key, line)
            if first != line:
                errors.append((line, key_column, _("Kunci sumber sama dengan baris %d.") % first))
                continue
            good.append((line, key, data))
        if target.check and good:
            refused = target.check(actor=actor, rows=good)
            if refused:
                bad = {line for line, _f, _m in refused}
                good = [g for g in good if g[0] not in bad]
                errors += [(line, column_of.get(f, ""), m) for line, f, m in refused]
        yield good, errors, len(chunk)


def _store_errors(batch: ImportBatch, errors: list, stored: int) -> int:
    room = MAX_STORED_ERRORS - stored
    if room > 0 and errors:
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(batch=batch, line=line, column=column[:200], message=str(m)[:300])
                for line, column, m in sorted(errors, key=lambda e: e[0])[:room]
            ]
        )
    return stored + min(max(room, 0), len(errors))


def _progress(batch: ImportBatch, rows: int, **counts) -> None:
    """Progress for the page's polling: committed at once (the job runs outside a transaction)."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        rows_done=Least(F("rows_done") + rows, F("total_rows")),
        heartbeat_at=timezone.now(),
        **{name: F(name) + n for name, n in counts.items()},
    )


def _file_failure(batch: ImportBatch, error: ServiceError, stored: int) -> None:
    _store_errors(batch, [(1, "", error.message)], stored)


def _lock_key(batch_id) -> str:
    return f"import-batch:{batch_id}"


@contextmanager
def working_on(batch_id):
    """Held by the job working on a batch (a session advisory lock, released when the job
    ends or its connection dies with its worker): the sweeper's test of a live worker."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [_lock_key(batch_id)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [_lock_key(batch_id)]
            )


def _job_batch(batch_id, status: str) -> ImportBatch | None:
    """The batch in ``status`` (else None: a repeated job finds nothing to do)."""
    batch = ImportBatch.objects.filter(pk=batch_id, status=status).first()
    if batch is None:
        logger.info("import job: batch not in %s, nothing to do", status)
    return batch


def batch_check(batch_id) -> str | None:
    with working_on(batch_id):
        return _batch_check(batch_id)


def _batch_check(batch_id) -> str | None:
    """The dry run (job ``import_check``): every row checked, every error kept; no target row
    is written. The checked rows are staged (COPY, the pipeline's own table) while no row has
    been refused, so the real run does not check them twice. Ends VALID or INVALID, audited
    with counts."""
    batch = _job_batch(batch_id, ImportStatus.CHECKING)
    if batch is None:
        return None
    actor = events.resolve_actor(batch.actor_ref)
    target = target_get(batch.target)
    content = ImportFile.objects.values_list("content", flat=True).filter(batch=batch).first()
    content = bytes(content) if content is not None else b""
    ImportRowError.objects.filter(batch=batch).delete()
    ImportStagedRow.objects.filter(batch=batch).delete()
    stored = valid = invalid = rows = 0
    try:
        for good, errors, n in _checked_chunks(batch, target, actor, content):
            stored = _store_errors(batch, errors, stored)
            bad_lines = len({e[0] for e in errors})
            valid, invalid, rows = valid + len(good), invalid + bad_lines, rows + n
            if not invalid:
                _copy_staged(batch, good)
            _progress(batch, n, valid_rows=len(good), error_rows=bad_lines)
    except ServiceError as error:
        _file_failure(batch, error, stored)
        invalid = max(invalid, 1)
    status = ImportStatus.INVALID if invalid else ImportStatus.VALID
    with transaction.atomic():
        if invalid:
            ImportStagedRow.objects.filter(batch=batch).delete()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=status,
            checked_at=timezone.now(),
            total_rows=max(rows, 1),
            rows_done=max(rows, 1),
            valid_rows=valid,
            error_rows=invalid,
        )
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_DRY_RUN,
            obj=batch,
            meta={"target": batch.target, "rows": rows, "valid": valid, "refused": invalid},
        )
    return status


def _copy_staged(batch: ImportBatch, good: list) -> None:
    sql = "COPY integrations_importstagedrow (batch_id, line, source_key, data) FROM STDIN"
    batch_id = str(batch.pk)
    dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for line, key, data in good:
            copy.write_row((batch_id, line, key, dumps(data)))


def _mark_created(batch_id):
    """The target's created lines kept on the batch as one int4multirange (no UPDATE of the
    staged rows: a million of them would be rewritten); answers how many lines."""

    def mark(lines_sql: str, params: tuple) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH made AS ({lines_sql}), "  # noqa: S608
                "agg AS (SELECT coalesce(range_agg(int4range(line, line, '[]')), "
                "'{}'::int4multirange)::text AS ranges, count(*) AS n "
                "FROM made AS m(line)) "
                "UPDATE integrations_importbatch SET created_lines = agg.ranges "
                "FROM agg WHERE id = %s RETURNING agg.n",
                [*params, batch_id],
            )
            return cursor.fetchone()[0]

    return mark


def _fail(batch: ImportBatch, actor, *, failure: str, errors=(), step: str) -> str:
    with transaction.atomic():
        ImportStagedRow.objects.filter(batch=batch).delete()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED,
            failure=failure[:300],
            finished_at=timezone.now(),
            error_rows=len({e[0] for e in errors}),
        )
        _store_errors(batch, list(errors), ImportRowError.objects.filter(batch=batch).count())
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_RUN,
            obj=batch,
            meta={"step": step, "refused": len({e[0] for e in errors}), "written": 0},
        )
    return ImportStatus.FAILED


def batch_run(batch_id) -> str | None:
    with working_on(batch_id):
        return _batch_run(batch_id)


def _batch_run(batch_id) -> str | None:
    """The real run (job ``import_run``): the rows the dry run checked and staged, written by
    the target in one transaction (its set-based checks against the database run again
    there: what changed since the dry run refuses the batch); any refusal leaves nothing."""
    batch = _job_batch(batch_id, ImportStatus.QUEUED)
    if batch is None:
        return None
    actor = events.resolve_actor(batch.actor_ref)
    target = target_get(batch.target)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.IMPORTING, rows_done=0, heartbeat_at=timezone.now()
    )
    staged = ImportStagedRow.objects.filter(batch=batch).count()
    if staged != batch.valid_rows:  # staging lost (a crash of the unlogged table): check again
        return _fail(
            batch, actor, step="staging_lost",
            failure=_("Data uji coba tidak lengkap lagi; atur pemetaan untuk menguji ulang."),
        )  # fmt: skip
    return _apply(batch, target, actor, staged)


def _apply(batch: ImportBatch, target: ImportTarget, actor, staged: int) -> str:
    rows = StagedRows(
        sql="SELECT line, source_key, data FROM integrations_importstagedrow WHERE batch_id = %s",
        params=(str(batch.pk),),
        count=staged,
        mark_created=_mark_created(str(batch.pk)),
    )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:  # one writer per target at a time
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"import:{batch.target}"]
                )
            outcome = target.apply(actor=actor, staged=rows)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportStatus.DONE,
                finished_at=timezone.now(),
                created_rows=outcome["created"],
                unchanged_rows=outcome["unchanged"],
                rows_done=F("total_rows"),
            )
            audit.record(
                actor=actor,
                action=AuditAction.IMPORT_RUN,
                obj=batch,
                meta={
                    "step": "done",
                    "target": batch.target,
                    "rows": staged,
                    "created": outcome["created"],
                    "unchanged": outcome["unchanged"],
                },
            )
    except RowsRefused as refused:
        return _fail(
            batch, actor, errors=[(line, _column(batch, f), m) for line, f, m in refused.rows],
            step="refused_on_write", failure=_("Ada baris yang ditolak saat menulis."),
        )  # fmt: skip
    except ServiceError as error:
        return _fail(batch, actor, step="refused_on_write", failure=error.message)
    except DatabaseError:
        logger.warning("import run: database refused the batch's write", exc_info=True)
        return _fail(
            batch, actor, step="database_refused",
            failure=_("Basis data menolak penulisan (bentrok dengan perubahan lain?). "
                      "Tidak ada yang ditulis; jalankan ulang batch ini."),
        )  # fmt: skip
    return ImportStatus.DONE


def _column(batch: ImportBatch, field: str) -> str:
    return next((c for c, f in batch.mapping.items() if f == field), "")


# --------------------------------------------------------------------------- the sweeper

FINISHED = (ImportStatus.DONE, ImportStatus.FAILED)
ABANDONED = (ImportStatus.UPLOADED, ImportStatus.VALID, ImportStatus.INVALID)
RUNNING = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.IMPORTING)
# The housekeeping job: it restarts or fails a dead worker's batch and purges old staging, by
# the batch's own state — it reads no customer and needs no permission.
SWEEPER = declare_actor("import-sweeper", permissions=())


def _worker_alive(batch_id) -> bool:
    """Does a job hold the batch's lock (``working_on``)? Tried without waiting."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [_lock_key(batch_id)]
        )
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [_lock_key(batch_id)])
    return False


def _resume(batch: ImportBatch, actor) -> str:
    """A running step whose worker died: started again (the dry run from the top, its errors
    and staging cleared by the job; the real run from its staged rows — its one transaction
    died with the worker, so nothing of it was written), or the batch failed after
    ``INTEGRATIONS_IMPORT_MAX_RESUMES`` restarts."""
    from amanah.integrations.tasks import import_check, import_run

    if batch.resumed >= settings.INTEGRATIONS_IMPORT_MAX_RESUMES:
        _fail(
            batch, actor, step="worker_lost",
            failure=_("Pekerja impor berhenti berulang kali; tidak ada yang ditulis. "
                      "Atur pemetaan untuk menguji ulang."),
        )  # fmt: skip
        return "failed"
    status = ImportStatus.CHECKING if batch.status == ImportStatus.CHECKING else ImportStatus.QUEUED
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=status, rows_done=0, heartbeat_at=timezone.now(), resumed=F("resumed") + 1
        )
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_RUN,
            obj=batch,
            meta={"step": "resumed", "was": batch.status, "resumed": batch.resumed + 1},
        )
        job = import_check if status == ImportStatus.CHECKING else import_run
        job.defer(batch_id=str(batch.pk))
    return "resumed"


def _purge(batch: ImportBatch, actor) -> int:
    """The batch's staged rows (in batches, each its own transaction) and file; counts,
    errors and the audit stay. An abandoned batch (never run) ends FAILED: it cannot be
    checked again without its file."""
    removed = 0
    step = settings.INTEGRATIONS_IMPORT_PURGE_BATCH
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM integrations_importstagedrow WHERE id IN (SELECT id FROM "
                "integrations_importstagedrow WHERE batch_id = %s LIMIT %s)",
                [str(batch.pk), step],
            )
            removed += cursor.rowcount
            if cursor.rowcount < step:
                break
    with transaction.atomic():
        ImportFile.objects.filter(batch=batch).delete()
        changes = {"purged_at": timezone.now()}
        if batch.status in ABANDONED:
            changes |= {
                "status": ImportStatus.FAILED,
                "failure": _("Tidak dijalankan dalam masa simpan; berkasnya sudah dihapus."),
            }
        ImportBatch.objects.filter(pk=batch.pk).update(**changes)
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_RUN,
            obj=batch,
            meta={"step": "purged", "staged_rows": removed, "was": batch.status},
        )
    return removed


def sweep(*, now=None, limit: int = 50) -> dict:
    """The periodic housekeeping of the batch import (job ``import_sweep``): running steps
    whose worker died are resumed or failed (never left "running"), and finished or abandoned
    batches past ``INTEGRATIONS_IMPORT_RETENTION_DAYS`` lose their file and staged rows.
    Idempotent: a purged batch is skipped; a live worker's batch is left alone."""
    from datetime import timedelta

    now = now or timezone.now()
    actor = SWEEPER
    counts = {"resumed": 0, "failed": 0, "purged": 0, "staged_rows": 0}
    stale = now - timedelta(seconds=settings.INTEGRATIONS_IMPORT_STALE_SECONDS)
    for batch_id in list(
        ImportBatch.objects.filter(status__in=RUNNING, heartbeat_at__lt=stale)
        .order_by("heartbeat_at")
        .values_list("pk", flat=True)[:limit]
    ):
        if _worker_alive(batch_id):
            continue
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update()
                .filter(pk=batch_id, status__in=RUNNING, heartbeat_at__lt=stale)
                .first()
            )
            if batch is None:
                continue
            counts[_resume(batch, actor)] += 1
    cutoff = now - timedelta(days=settings.INTEGRATIONS_IMPORT_RETENTION_DAYS)
    due = ImportBatch.objects.filter(purged_at__isnull=True).filter(
        Q(status__in=FINISHED, finished_at__lt=cutoff)
        | Q(status__in=FINISHED, finished_at__isnull=True, created_at__lt=cutoff)
        | Q(status__in=ABANDONED, created_at__lt=cutoff)
    )
    for batch in due.order_by("created_at")[:limit]:
        counts["staged_rows"] += _purge(batch, actor)
        counts["purged"] += 1
    return counts


# --------------------------------------------------------------------------- downloads

REPORT_KINDS = ("errors", "results")


def import_report(*, actor, batch_id, kind: str) -> tuple[str, list[str], Iterator[list]]:
    """The refused rows (line, column, reason) or the results (line, source key, outcome) of a
    batch as CSV rows; the download is audited (counts only). Cells a spreadsheet would run
    as formulas are neutralised by ``core.exports.csv_response``."""
    authz.require(actor, IMPORT_RUN)
    if kind not in REPORT_KINDS:
        raise NotFound()
    batch = ImportBatch.objects.visible_to(actor).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT_DOWNLOAD,
            obj=batch,
            meta={"kind": kind, "errors": batch.error_rows, "created": batch.created_rows},
        )
    if kind == "errors":
        header = [_("Baris"), _("Kolom"), _("Alasan")]
        rows = (
            [e.line, e.column, e.message]
            for e in ImportRowError.objects.filter(batch=batch).order_by("line", "id").iterator()
        )
    else:
        created, unchanged = _("dibuat atau diubah"), _("sudah ada, tidak diubah")
        header = [_("Baris"), _("Kunci sumber"), _("Hasil")]
        made = RawSQL(
            "line <@ (SELECT nullif(b.created_lines, '')::int4multirange"
            " FROM integrations_importbatch b WHERE b.id = batch_id)",
            (),
            output_field=BooleanField(),
        )
        rows = (
            [line, key, created if made else unchanged]
            for line, key, made in ImportStagedRow.objects.filter(batch=batch)
            .annotate(made=made)
            .order_by("line")
            .values_list("line", "source_key", "made")
            .iterator(chunk_size=5000)
        )
    return f"impor-{batch.pk}-{kind}.csv", [str(h) for h in header], rows
