"""The journey graph the server owns: its shape as data and its validation.

A graph arrives (from the list editor, the canvas or the API) as::

    {"nodes": [{"key": "t", "type": "TRIGGER", "label": "", "x": 0, "y": 0,
                "config": {"type": "SEGMENT", "segment": "<uuid>"}}, …],
     "edges": [{"source": "t", "target": "w", "label": ""}, …]}

``validate(graph)`` returns the cleaned graph or raises :class:`GraphError`, which carries
every problem found as ``(node key, field, message)`` — the builder shows each next to its
node and field, and nothing is saved. The rules:

* exactly one TRIGGER, with no way in; node keys unique and short; edges between known nodes;
* the ways out of each node: TRIGGER, WAIT, ACTION, UPDATE exactly one (unlabelled); BRANCH
  exactly YES and NO; SPLIT one per variant, labelled with the variant's name; END none;
* no cycle (a customer visits a node at most once, which is what makes a node's effect
  idempotent per enrollment and node), and every node reachable from the trigger — with the
  ways-out rule above, every path then ends in an END;
* each node's configuration (below): waits bounded (more than zero, at most
  ``MAX_WAIT_DAYS``), split percentages whole numbers summing to 100, a branch condition from
  the vocabulary of ``conditions``, templates and segments that exist, end reasons known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.errors import ServiceError
from amanah.journeys.models import EndReason, NodeType

MAX_NODES = 200
MAX_WAIT_DAYS = 365
MAX_VARIANTS = 5
KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")
TEMPLATE_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # messaging's template keys
TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
# The customer fields an UPDATE node may set (through customers' own service, audited there):
# the marketing segment code only — master data stays with the people who own it.
UPDATE_FIELDS = {"segment_code": re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")}
UPDATE_FIELD_LABELS = {"segment_code": gettext_lazy("Kode segmen nasabah")}
# How a SCHEDULE trigger repeats (``triggers.next_run``).
REPEATS = ("NONE", "DAILY", "WEEKLY", "MONTHLY")
UNITS = {"MINUTES": timedelta(minutes=1), "HOURS": timedelta(hours=1), "DAYS": timedelta(days=1)}
SINGLE_WAY_OUT = {NodeType.TRIGGER, NodeType.WAIT, NodeType.ACTION, NodeType.UPDATE}
YES, NO = "YES", "NO"


@dataclass(frozen=True)
class Problem:
    node: str  # the node's key ('' for the graph as a whole)
    field: str
    message: str


class GraphError(ServiceError):
    """An invalid graph; ``problems`` lists every one found, each naming node and field."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        shown = "; ".join(
            (_("Simpul %(node)s, %(field)s: %(msg)s") if p.node else "%(field)s: %(msg)s")
            % {"node": p.node, "field": p.field, "msg": p.message}
            for p in problems[:5]
        )
        super().__init__("graph_invalid", shown, field=f"{first.node}.{first.field}".strip("."))
        self.problems = problems

    def details(self) -> dict:
        return {
            "problems": [
                {"node": p.node, "field": p.field, "message": p.message} for p in self.problems
            ]
        }


# --------------------------------------------------------------------------- vocabularies


def trigger_events() -> dict:
    """The domain events a journey may start on (``triggers.EVENT_TRIGGERS``)."""
    from amanah.journeys.triggers import EVENT_TRIGGERS

    return EVENT_TRIGGERS


def wait_events() -> dict:
    from amanah.journeys.triggers import WAIT_EVENTS

    return WAIT_EVENTS


def _channels() -> tuple[str, ...]:
    from amanah.marketing.models import SENDABLE_CHANNELS

    return tuple(str(c) for c in SENDABLE_CHANNELS)


def sendable_channels() -> tuple[str, ...]:
    """The channels an ACTION step may send on, in their order."""
    return _channels()


# --------------------------------------------------------------------------- validation


class _Check:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, node: str, field: str, message) -> None:
        self.problems.append(Problem(node, field, str(message)))


def _text(value, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit] if value.isprintable() else ""


def _duration(check: _Check, key: str, config: dict, value_field: str, unit_field: str):
    value, unit = config.get(value_field), config.get(unit_field)
    if unit not in UNITS:
        check.add(key, unit_field, _("Pilih satuan waktu: MINUTES, HOURS atau DAYS."))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        check.add(key, value_field, _("Lama tunggu harus bilangan bulat lebih dari nol."))
        return None
    if value > 10**6 or UNITS[unit] * value > timedelta(days=MAX_WAIT_DAYS):
        check.add(key, value_field, _("Lama tunggu paling lama %d hari.") % MAX_WAIT_DAYS)
        return None
    return {value_field: value, unit_field: unit}


def _segment(check: _Check, key: str, config: dict):
    from amanah.marketing.models import Segment

    segment = config.get("segment")
    try:
        exists = isinstance(segment, str) and Segment.objects.filter(pk=segment).exists()
    except (ValueError, ValidationError):  # a malformed id is just "unknown"
        exists = False
    if not exists:
        check.add(key, "segment", _("Segmen tidak dikenal."))
    return segment


def _moment(check: _Check, key: str, raw, field: str):
    """An ISO 8601 moment with its zone, not in the past, at most ``MAX_WAIT_DAYS`` ahead."""
    try:
        at = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        check.add(key, field, _("Waktu tidak valid (ISO 8601 dengan zona waktu)."))
        return None
    now = timezone.now()
    if at <= now:
        check.add(key, field, _("Waktu sudah lewat."))
    elif at - now > timedelta(days=MAX_WAIT_DAYS):
        check.add(key, field, _("Waktu paling lama %d hari ke depan.") % MAX_WAIT_DAYS)
    return at


def _reentry(check: _Check, key: str, config: dict) -> dict:
    """The re-entry rule every trigger may carry: NEVER (default) or AFTER_END with a cool-down
    of 0 … ``MAX_WAIT_DAYS`` days after the previous pass ended."""
    from amanah.journeys.models import Reentry

    mode = config.get("reentry") or Reentry.NEVER
    if mode not in Reentry.values:
        check.add(key, "reentry", _("Aturan masuk ulang: NEVER atau AFTER_END."))
        return {}
    if mode == Reentry.NEVER:  # the default, not written (a stored graph round-trips)
        return {}
    days = config.get("cooldown_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_WAIT_DAYS:
        check.add(key, "cooldown_days", _("Jeda masuk ulang 0 sampai %d hari.") % MAX_WAIT_DAYS)
        return {"reentry": mode}
    return {"reentry": mode, "cooldown_days": days}


def _trigger_config(check: _Check, key: str, config: dict) -> dict:
    kind = config.get("type")
    if kind == "SEGMENT":
        return {
            "type": kind,
            "segment": _segment(check, key, config),
            **_reentry(check, key, config),
        }
    if kind == "EVENT":
        event = config.get("event")
        if event not in trigger_events():
            check.add(key, "event", _("Peristiwa pemicu tidak dikenal."))
        return {"type": kind, "event": event, **_reentry(check, key, config)}
    if kind == "SCHEDULE":
        segment = _segment(check, key, config)
        at = _moment(check, key, config.get("at"), "at")
        repeat = config.get("repeat") or "NONE"
        if repeat not in REPEATS:
            check.add(key, "repeat", _("Pengulangan: NONE, DAILY, WEEKLY atau MONTHLY."))
        cleaned = {"type": kind, "segment": segment, "repeat": repeat}
        if at is not None:
            cleaned["at"] = at.isoformat()
        return {**cleaned, **_reentry(check, key, config)}
    if kind == "API":
        return {"type": kind, **_reentry(check, key, config)}
    check.add(key, "type", _("Jenis pemicu: SEGMENT, EVENT, SCHEDULE atau API."))
    return {}


def _wait_config(check: _Check, key: str, config: dict) -> dict:
    mode = config.get("mode")
    if mode == "DURATION":
        cleaned = _duration(check, key, config, "value", "unit")
        return {"mode": mode, **(cleaned or {})}
    if mode == "UNTIL_DATE":
        raw = config.get("date")
        try:
            at = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            check.add(key, "date", _("Tanggal tunggu tidak valid (ISO 8601 dengan zona waktu)."))
            return {"mode": mode}
        now = timezone.now()
        if at <= now:
            check.add(key, "date", _("Tanggal tunggu sudah lewat."))
        elif at - now > timedelta(days=MAX_WAIT_DAYS):
            check.add(
                key, "date", _("Tanggal tunggu paling lama %d hari ke depan.") % MAX_WAIT_DAYS
            )
        return {"mode": mode, "date": at.isoformat()}
    if mode == "UNTIL_EVENT":
        event = config.get("event")
        if event not in wait_events():
            check.add(key, "event", _("Peristiwa yang ditunggu tidak dikenal."))
        cleaned = _duration(check, key, config, "timeout_value", "timeout_unit")
        return {"mode": mode, "event": event, **(cleaned or {})}
    check.add(key, "mode", _("Jenis tunggu: DURATION, UNTIL_DATE atau UNTIL_EVENT."))
    return {}


PROMO_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")


def _action_config(check: _Check, key: str, config: dict) -> dict:
    from amanah.consent.contract import Purpose
    from amanah.messaging.models import MessageTemplate

    channel, template = config.get("channel"), config.get("template")
    if channel not in _channels():
        check.add(key, "channel", _("Kanal pesan: EMAIL, WHATSAPP atau SMS."))
        return {}
    if not isinstance(template, str) or not TEMPLATE_KEY.fullmatch(template):
        check.add(key, "template", _("Templat pesan tidak dikenal."))
        return {"channel": channel}
    found = MessageTemplate.objects.filter(key=template, channel=channel).first()
    if found is None:
        check.add(key, "template", _("Templat pesan tidak dikenal untuk kanal ini."))
    elif found.purpose != Purpose.OFFER:
        check.add(key, "template", _("Templat bukan templat penawaran (OFFER)."))
    cleaned = {"channel": channel, "template": template}
    promo = config.get("promo_code") or ""
    if promo:
        if not isinstance(promo, str) or not PROMO_CODE.fullmatch(promo):
            check.add(key, "promo_code", _("Kode promo 1–32 huruf besar, angka atau '-'."))
        else:
            cleaned["promo_code"] = promo
    return cleaned


def _branch_config(check: _Check, key: str, config: dict, nodes: dict) -> dict:
    from amanah.journeys.conditions import ConditionError, clean_condition

    try:
        return {"condition": clean_condition(config.get("condition"), nodes)}
    except ConditionError as error:
        check.add(key, error.field, error.message)
        return {}


def _split_config(check: _Check, key: str, config: dict) -> dict:
    variants = config.get("variants")
    if not isinstance(variants, list) or not 2 <= len(variants) <= MAX_VARIANTS:
        check.add(key, "variants", _("Uji A/B butuh 2–%d varian.") % MAX_VARIANTS)
        return {}
    cleaned, names = [], set()
    for variant in variants:
        name = variant.get("name") if isinstance(variant, dict) else None
        share = variant.get("percentage") if isinstance(variant, dict) else None
        if not isinstance(name, str) or not KEY.fullmatch(name) or name in (YES, NO):
            check.add(key, "variants", _("Nama varian 1–32 huruf/angka."))
            return {}
        if name in names:
            check.add(key, "variants", _("Nama varian %s dipakai dua kali.") % name)
            return {}
        if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 99:
            check.add(key, "percentage", _("Persentase varian %s: bilangan bulat 1–99.") % name)
            return {}
        names.add(name)
        cleaned.append({"name": name, "percentage": share})
    total = sum(v["percentage"] for v in cleaned)
    if total != 100:
        check.add(key, "percentage", _("Jumlah persentase varian %d, harus 100.") % total)
    result = {"variants": cleaned}
    if config.get("test") is not None:
        result["test"] = _test_plan(check, key, config["test"], len(cleaned))
    return result


def _whole(value, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _test_plan(check: _Check, key: str, raw, variants: int) -> dict:
    """An A/B test plan on a SPLIT (``abtest``): the sample size is planned here, up front."""
    from amanah.journeys import abtest

    if not isinstance(raw, dict):
        check.add(key, "test", _("Rencana uji A/B harus berupa objek."))
        return {}
    metric, dimension = raw.get("metric"), raw.get("dimension")
    if metric not in abtest.METRICS:
        check.add(key, "test.metric", _("Metrik pemenang: OPEN, CLICK atau CONVERT."))
        return {}
    if dimension not in abtest.DIMENSIONS:
        check.add(key, "test.dimension", _("Yang diuji: SUBJECT, CONTENT, SEND_TIME atau CHANNEL."))
        return {}
    baseline = _whole(raw.get("baseline"), 1, 98)
    if baseline is None:
        check.add(key, "test.baseline", _("Tingkat dasar kontrol: bilangan bulat 1–98 persen."))
        return {}
    lift = _whole(raw.get("lift"), 1, 99 - baseline)
    if lift is None:
        check.add(
            key,
            "test.lift",
            _("Kenaikan minimum: bilangan bulat 1–%d poin persen.") % (99 - baseline),
        )
        return {}
    min_hours = _whole(raw.get("min_hours", abtest.MIN_HOURS), abtest.MIN_HOURS, 24 * 90)
    if min_hours is None:
        check.add(key, "test.min_hours", _("Durasi minimum uji 24 jam – 90 hari (dalam jam)."))
        return {}
    window = _whole(raw.get("window_hours", 72), 1, 24 * 30)
    if window is None:
        check.add(key, "test.window_hours", _("Jendela metrik 1 jam – 30 hari (dalam jam)."))
        return {}
    auto = raw.get("auto_promote", False)
    if not isinstance(auto, bool):
        check.add(key, "test.auto_promote", _("Pilih ya atau tidak."))
        return {}
    return {
        "metric": metric,
        "dimension": dimension,
        "baseline": baseline,
        "lift": lift,
        "min_hours": min_hours,
        "window_hours": window,
        "auto_promote": auto,
        "sample_size": abtest.planned_sample_size(baseline / 100, lift / 100, variants=variants),
    }


def _update_config(check: _Check, key: str, config: dict) -> dict:
    kind = config.get("kind")
    if kind == "tag":
        tag = config.get("tag")
        if not isinstance(tag, str) or not TAG.fullmatch(tag):
            check.add(key, "tag", _("Tag 1–40 huruf kecil, angka, '-' atau '_'."))
            return {}
        return {"kind": kind, "tag": tag}
    if kind == "field":
        name, value = config.get("field"), config.get("value")
        if name not in UPDATE_FIELDS:
            check.add(key, "field", _("Data nasabah ini tidak dapat diubah oleh journey."))
            return {}
        if not isinstance(value, str) or not UPDATE_FIELDS[name].fullmatch(value):
            check.add(key, "value", _("Kode segmen 1–20 huruf besar, angka, '-' atau '_'."))
            return {}
        return {"kind": kind, "field": name, "value": value}
    check.add(key, "kind", _("Jenis perubahan data tidak dikenal (tag atau field)."))
    return {}


def _end_config(check: _Check, key: str, config: dict) -> dict:
    reason = config.get("reason", EndReason.FINISHED)
    if reason not in EndReason.values:
        check.add(key, "reason", _("Alasan selesai tidak dikenal."))
        return {}
    return {"reason": reason}


def _clean_nodes(check: _Check, raw) -> dict[str, dict]:
    if not isinstance(raw, list) or not raw:
        check.add("", "nodes", _("Journey butuh simpul."))
        return {}
    if len(raw) > MAX_NODES:
        check.add("", "nodes", _("Paling banyak %d simpul.") % MAX_NODES)
        return {}
    nodes: dict[str, dict] = {}
    for position, node in enumerate(raw):
        if not isinstance(node, dict):
            check.add("", "nodes", _("Setiap simpul harus berupa objek."))
            continue
        key = node.get("key")
        if not isinstance(key, str) or not KEY.fullmatch(key):
            check.add("", "key", _("Kunci simpul 1–32 huruf, angka, '-' atau '_'."))
            continue
        if key in nodes:
            check.add(key, "key", _("Kunci simpul dipakai dua kali."))
            continue
        kind = node.get("type")
        if kind not in NodeType.values:
            check.add(key, "type", _("Jenis simpul tidak dikenal."))
            continue
        config = node.get("config", {})
        if not isinstance(config, dict):
            check.add(key, "config", _("Konfigurasi simpul harus berupa objek."))
            config = {}
        coords = [node.get(axis, 0) for axis in ("x", "y")]
        nodes[key] = {
            "key": key,
            "type": kind,
            "label": _text(node.get("label", ""), 80),
            "config": config,
            "x": coords[0] if isinstance(coords[0], int) and abs(coords[0]) < 10**6 else 0,
            "y": coords[1] if isinstance(coords[1], int) and abs(coords[1]) < 10**6 else 0,
            "position": position,
        }
    return nodes


def _clean_edges(check: _Check, raw, nodes: dict) -> list[dict]:
    if not isinstance(raw, list):
        check.add("", "edges", _("Daftar sambungan tidak valid."))
        return []
    edges, seen = [], set()
    for edge in raw:
        if not isinstance(edge, dict):
            check.add("", "edges", _("Setiap sambungan harus berupa objek."))
            continue
        source, target, label = edge.get("source"), edge.get("target"), edge.get("label", "")
        if not isinstance(label, str) or (label and not KEY.fullmatch(label)):
            check.add(
                str(source)[:32] if isinstance(source, str) else "",
                "edges",
                _("Label sambungan tidak valid."),
            )
            continue
        if source not in nodes or target not in nodes:
            where = source if source in nodes else ""
            check.add(where, "edges", _("Sambungan ke simpul yang tidak ada."))
            continue
        if source == target:
            check.add(source, "edges", _("Simpul tidak boleh tersambung ke dirinya sendiri."))
            continue
        if (source, label) in seen:
            check.add(source, "edges", _("Dua sambungan keluar berlabel sama."))
            continue
        seen.add((source, label))
        edges.append({"source": source, "target": target, "label": label})
    return edges


def _check_ways_out(check: _Check, nodes: dict, edges: list[dict]) -> None:
    out: dict[str, list[str]] = {key: [] for key in nodes}
    into: dict[str, int] = {key: 0 for key in nodes}
    for edge in edges:
        out[edge["source"]].append(edge["label"])
        into[edge["target"]] += 1
    triggers = [k for k, n in nodes.items() if n["type"] == NodeType.TRIGGER]
    if len(triggers) != 1:
        check.add("", "nodes", _("Journey harus punya tepat satu pemicu (ada %d).") % len(triggers))
    for key, node in nodes.items():
        labels, kind = sorted(out[key]), node["type"]
        if kind == NodeType.TRIGGER and into[key]:
            check.add(key, "edges", _("Pemicu tidak boleh punya sambungan masuk."))
        if kind in SINGLE_WAY_OUT and labels != [""]:
            check.add(key, "edges", _("Simpul ini harus punya tepat satu sambungan keluar."))
        elif kind == NodeType.BRANCH and labels != [NO, YES]:
            check.add(key, "edges", _("Cabang kondisi harus punya sambungan YA dan TIDAK."))
        elif kind == NodeType.SPLIT:
            names = sorted(v["name"] for v in node["config"].get("variants", []) or [])
            if names and labels != names:
                check.add(key, "edges", _("Setiap varian butuh tepat satu sambungan keluar."))
        elif kind == NodeType.END and labels:
            check.add(key, "edges", _("Simpul selesai tidak boleh punya sambungan keluar."))


def _check_reachable_and_acyclic(check: _Check, nodes: dict, edges: list[dict]) -> None:
    triggers = [k for k, n in nodes.items() if n["type"] == NodeType.TRIGGER]
    if len(triggers) != 1:
        return
    out: dict[str, list[str]] = {key: [] for key in nodes}
    for edge in edges:
        out[edge["source"]].append(edge["target"])
    # Iterative DFS: colours find a back edge (a cycle) and what was reached.
    colour = dict.fromkeys(nodes, 0)
    stack = [(triggers[0], iter(out[triggers[0]]))]
    colour[triggers[0]] = 1
    cyclic = set()
    while stack:
        key, children = stack[-1]
        child = next(children, None)
        if child is None:
            colour[key] = 2
            stack.pop()
        elif colour[child] == 1:
            cyclic.add(key)
        elif colour[child] == 0:
            colour[child] = 1
            stack.append((child, iter(out[child])))
    for key in sorted(cyclic):
        check.add(key, "edges", _("Sambungan membentuk putaran; journey harus berujung."))
    for key in nodes:
        if colour[key] == 0:
            check.add(key, "edges", _("Simpul tidak terjangkau dari pemicu."))


def ancestors_of(target: str, edges: list[dict]) -> set[str]:
    into: dict[str, list[str]] = {}
    for edge in edges:
        into.setdefault(edge["target"], []).append(edge["source"])
    seen, todo = set(), [target]
    while todo:
        for source in into.get(todo.pop(), []):
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


CONFIG_CHECKS = {
    NodeType.TRIGGER: _trigger_config,
    NodeType.WAIT: _wait_config,
    NodeType.ACTION: _action_config,
    NodeType.SPLIT: _split_config,
    NodeType.UPDATE: _update_config,
    NodeType.END: _end_config,
}


def validate(graph) -> dict:
    """The cleaned graph (``{"nodes": [...], "edges": [...]}``), or :class:`GraphError`."""
    check = _Check()
    if not isinstance(graph, dict):
        raise GraphError([Problem("", "graph", _("Graf journey harus berupa objek."))])
    nodes = _clean_nodes(check, graph.get("nodes"))
    edges = _clean_edges(check, graph.get("edges", []), nodes)
    for key, node in nodes.items():
        if node["type"] == NodeType.BRANCH:
            context = {k: n["type"] for k, n in nodes.items() if k in ancestors_of(key, edges)}
            node["config"] = _branch_config(check, key, node["config"], context)
        else:
            node["config"] = CONFIG_CHECKS[node["type"]](check, key, node["config"])
    _check_ways_out(check, nodes, edges)
    _check_reachable_and_acyclic(check, nodes, edges)
    if check.problems:
        raise GraphError(check.problems)
    return {"nodes": list(nodes.values()), "edges": edges}
