"""CSV downloads streamed row by row (large exports never sit in memory).

**Formula injection.** A spreadsheet opening the file runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula — a customer's
name or a complaint typed as ``=HYPERLINK(…)`` would run on the reader's desk. Every text cell
starting with one of those characters is written with a leading ``'`` (OWASP's advice), which
the spreadsheet shows as text and does not display. Numbers, dates and None are written as
they are: a negative number is not text someone typed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

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
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
