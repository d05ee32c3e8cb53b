"""Meter readings as a batch import target (``utility.meter_readings``; integrations runs the
pipeline). A row names the connection by its no. sambungan, the period as ``YYYY-MM`` and the
reading in m³; ``ganti_meter`` (ya/1/true) marks a meter replacement. The source key is
``<no. sambungan>:<period>``: a reading imported twice is one reading. A reading lower than the
previous one (stored, or earlier in the file) is refused with its reason unless it is marked
as a meter replacement; the whole batch is refused then (the dry run names the rows)."""

from __future__ import annotations

import json

from django.db import connection as db
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.utility import services
from amanah.utility.models import Connection, MeterReading
from amanah.utility.policies import READING_RECORD

FIELDS = (
    ImportField("connection_number", gettext_lazy("No. sambungan"), required=True),
    ImportField("period", gettext_lazy("Periode (TTTT-BB)"), required=True),
    ImportField("reading", gettext_lazy("Angka meter (m³)"), required=True),
    ImportField("replacement", gettext_lazy("Ganti meter (ya/tidak)")),
)
_YES = frozenset({"ya", "y", "yes", "1", "true", "benar"})
_NO = frozenset({"", "tidak", "t", "no", "n", "0", "false", "salah"})


def clean(values: dict) -> dict:
    number = values["connection_number"].strip().upper()
    if not services._CONNECTION_NUMBER.fullmatch(number):
        raise RowRefused("connection_number", _("No. sambungan tidak valid."))
    try:
        period = services.month_of(values["period"])
    except ServiceError as error:
        raise RowRefused("period", error.message) from error
    raw = values["reading"].strip().replace(".", "").replace(",", "")
    if not raw.isdigit() or int(raw) > services.READING_MAX:
        raise RowRefused(
            "reading",
            _("Angka meter harus bilangan bulat 0–%(max)d m³.") % {"max": services.READING_MAX},
        )
    flag = values.get("replacement", "").strip().lower()
    if flag not in _YES | _NO:
        raise RowRefused("replacement", _("Ganti meter diisi ya atau tidak."))
    return {
        "key": f"{number}:{period:%Y-%m}",
        "connection_number": number,
        "period": f"{period:%Y-%m}",
        "reading": int(raw),
        "replacement": flag in _YES,
    }


def _connections(actor, numbers) -> dict[str, int]:
    return dict(
        Connection.objects.visible_to(actor)
        .filter(number__in=list(numbers))
        .values_list("number", "pk")
    )


def _problems(actor, rows) -> list[tuple[int, str, str]]:
    """Unknown connections, and readings lower than the one before them (stored, or earlier in
    these rows) without a meter replacement."""
    known = _connections(actor, {d["connection_number"] for _l, d in rows})
    problems = [
        (line, "connection_number", _("No. sambungan tidak ditemukan atau di luar cakupan Anda."))
        for line, d in rows
        if d["connection_number"] not in known
    ]
    history: dict[int, dict] = {}
    for cid, period, reading in MeterReading.objects.filter(
        connection_id__in=list(known.values())
    ).values_list("connection_id", "period", "reading"):
        history.setdefault(cid, {})[f"{period:%Y-%m}"] = reading
    for line, d in sorted(rows, key=lambda r: (r[1]["connection_number"], r[1]["period"])):
        cid = known.get(d["connection_number"])
        if cid is None:
            continue
        seen = history.setdefault(cid, {})
        if d["period"] in seen:
            continue  # stored already: unchanged
        earlier = [p for p in seen if p < d["period"]]
        row = services.ReadingRow(cid, None, d["reading"], d["replacement"])
        problem = services.reading_problem(row, seen[max(earlier)] if earlier else None)
        if problem:
            problems.append((line, "reading", problem))
        seen[d["period"]] = d["reading"]
    return problems


def check(*, actor, rows: list) -> list:
    return _problems(actor, [(line, d) for line, _k, d in rows])


def apply(*, actor, staged) -> dict:
    with db.cursor() as cursor:
        cursor.execute(staged.sql + " ORDER BY line", list(staged.params))
        rows = [(line, json.loads(data)) for line, _key, data in cursor.fetchall()]
    problems = _problems(actor, rows)
    if problems:
        raise RowsRefused(problems[:1000])
    known = _connections(actor, {d["connection_number"] for _l, d in rows})
    before = set(
        MeterReading.objects.filter(connection_id__in=list(known.values())).values_list(
            "connection_id", "period"
        )
    )
    readings = [
        services.ReadingRow(
            known[d["connection_number"]],
            services.month_of(d["period"]),
            d["reading"],
            d["replacement"],
        )
        for _l, d in rows
    ]
    created = services.readings_record(actor=actor, rows=readings)
    new_lines = [
        line
        for (line, _d), r in zip(rows, readings, strict=True)
        if (r.connection_id, r.period) not in before
    ]
    staged.mark_created("SELECT unnest(%s::int[])", (new_lines,))
    return {"created": created, "unchanged": staged.count - created}


TARGET = ImportTarget(
    label=gettext_lazy("Angka meter pelanggan air"),
    permission=READING_RECORD,
    fields=FIELDS,
    key_field="key",
    clean=clean,
    check=check,
    apply=apply,
)
