"""CSV downloads streamed row by row (large exports never sit in memory).

**Formula injection.** A spreadsheet opening the file runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula — a customer's
name or a complaint typed as ``=HYPERLINK(…)`` would run on the reader's desk. Every text cell
starting with one of those characters is written with a leading ``'`` (OWASP's advice), which
the spreadsheet shows as text and does not display. Numbers, dates and None are written as
they are: a negative number is not text someone typed.
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.http import StreamingHttpResponse
from openpyxl import Workbook

from amanah.core.progress import still_working

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer target that hands each formatted line back instead of storing it."""

    def write(self, value):
        return value


def safe_cell(value):
    """``value``, with a ``'`` in front when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([safe_cell(cell) for cell in header])
        for row in rows:
            still_working()  # an export may stream longer than the web server's timeout
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """An XLSX workbook of ``(title, header, rows)`` sheets, every text cell safe as in CSV.
    Built whole before the answer starts, so it reports its progress as it goes."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([safe_cell(cell) for cell in header])
        for row in rows:
            still_working()
            sheet.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def stored_value(value):
    """A stored value as JSON holds it: text for dates, times, ids and decimals, base64 text
    for bytes; numbers, booleans, None, lists and dicts as they are."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list | tuple):
        return [stored_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): stored_value(v) for k, v in value.items()}
    return value


def stored_rows(
    queryset, *, withheld: Iterable[str] = (), opened: dict[str, Callable] | None = None
) -> list[dict]:
    """Every concrete field of every row of ``queryset``, by field name (a relation as the
    related row's key), JSON-ready — what a data subject's access export shows of a table.

    ``withheld`` fields are left out (the section says why); ``opened`` maps a field to a
    function giving what the stored value stands for (a sealed address → the address)."""
    withheld, opened = set(withheld), opened or {}
    fields = [f for f in queryset.model._meta.concrete_fields if f.name not in withheld]
    rows = []
    for values in queryset.order_by("pk").values_list(*(f.attname for f in fields)):
        row = {}
        for field, value in zip(fields, values, strict=True):
            if field.name in opened and value not in (None, ""):
                value = opened[field.name](value)
            row[field.name] = stored_value(value)
        rows.append(row)
    return rows
