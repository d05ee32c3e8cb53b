"""What an NBA rule may say: the facts it may name, the comparisons, and its reason template.

A rule's condition is data: a list of clauses ``{"fact": …, "op": …, "value": …}`` that must
all hold. Only the facts below exist (``nba.facts`` reads all of them for one
customer in a fixed number of queries); a rule naming anything else, comparing it the wrong
way or holding no clause at all is refused when it is saved, with the fact named — never at
evaluation time. The reason template names facts the same way (``{rfm_segment}``), with no
attribute, index, conversion or format spec, so a template cannot reach into Python objects.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.insight.rules import ClvProxy, Segment

MAX_CLAUSES = 10
TEMPLATE_MAX = 300
NEVER = 10**6  # "never contacted" compares as a very long time ago


@dataclass(frozen=True)
class Fact:
    label: object  # lazy Indonesian label
    kind: str  # "choice", "bool" or "days"
    choices: tuple[str, ...] = ()
    none_as: int | None = None  # for "days": what a missing value compares as (None: no match)


FACTS: dict[str, Fact] = {
    "rfm_segment": Fact(gettext_lazy("Segmen RFM"), "choice", tuple(Segment.values)),
    "clv_proxy": Fact(gettext_lazy("Perkiraan CLV"), "choice", tuple(ClvProxy.values)),
    "marketing_consent": Fact(
        gettext_lazy("Persetujuan pemasaran"), "choice", ("GRANTED", "WITHDRAWN", "NONE")
    ),
    "days_since_contact": Fact(
        gettext_lazy("Hari sejak kontak RM terakhir"), "days", none_as=NEVER
    ),
    "open_case": Fact(gettext_lazy("Ada kasus terbuka"), "bool"),
    "overdue_case": Fact(gettext_lazy("Ada kasus melewati SLA"), "bool"),
    "fraud_case_ever": Fact(gettext_lazy("Pernah ada kasus penipuan/scam"), "bool"),
    "new_lead_age_days": Fact(gettext_lazy("Umur lead BARU tertua (hari)"), "days"),
    "birthday_in_days": Fact(gettext_lazy("Hari sampai ulang tahun"), "days"),
    # A live promo near the customer in a category they spend on (merchants.promo_for_nba).
    "merchant_promo_in_city": Fact(gettext_lazy("Ada promo merchant di kotanya"), "bool"),
}

OPS_BY_KIND = {
    "choice": ("eq", "ne", "in"),
    "bool": ("eq",),
    "days": ("gt", "gte", "lt", "lte", "eq"),
}


def _refuse(code: str, message: str, field: str = "condition"):
    raise ServiceError(code, message, field=field)


def _check_value(name: str, fact: Fact, op: str, value) -> object:
    if fact.kind == "bool":
        if not isinstance(value, bool):
            _refuse("condition_invalid", _("Nilai fakta %s harus ya atau tidak.") % name)
        return value
    if fact.kind == "days":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
            _refuse("condition_invalid", _("Nilai fakta %s harus 0–3650 hari.") % name)
        return value
    values = value if op == "in" else [value]
    if (
        not isinstance(values, list)
        or not values
        or any(not isinstance(v, str) or v not in fact.choices for v in values)
    ):
        _refuse(
            "condition_invalid",
            _("Nilai fakta %(f)s harus salah satu dari: %(c)s.")
            % {"f": name, "c": ", ".join(fact.choices)},
        )
    return list(values) if op == "in" else value


def clean_condition(raw) -> list[dict]:
    """The condition as stored, or a refusal naming the clause's fact."""
    if not isinstance(raw, list) or not raw:
        _refuse("condition_empty", _("Kondisi aturan tidak boleh kosong."))
    if len(raw) > MAX_CLAUSES:
        _refuse("condition_invalid", _("Paling banyak %d syarat per aturan.") % MAX_CLAUSES)
    clauses = []
    for clause in raw:
        if not isinstance(clause, dict) or set(clause) != {"fact", "op", "value"}:
            _refuse("condition_invalid", _("Setiap syarat butuh fact, op dan value."))
        name, op = clause["fact"], clause["op"]
        fact = FACTS.get(name) if isinstance(name, str) else None
        if fact is None:
            shown = name if isinstance(name, str) and name.isprintable() else "?"
            _refuse("condition_unknown_fact", _("Fakta tidak dikenal: %s.") % shown[:40])
        if op not in OPS_BY_KIND[fact.kind]:
            _refuse(
                "condition_invalid",
                _("Perbandingan untuk fakta %(f)s harus salah satu dari: %(o)s.")
                % {"f": name, "o": ", ".join(OPS_BY_KIND[fact.kind])},
            )
        clauses.append(
            {"fact": name, "op": op, "value": _check_value(name, fact, op, clause["value"])}
        )
    return clauses


def template_fields(template: str) -> list[str]:
    """The fact names a reason template uses; a refusal for anything else in braces."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        _refuse(
            "reason_template_invalid", _("Kurung kurawal tidak berpasangan."), "reason_template"
        )
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FACTS or spec or conversion:
            shown = name if name.isprintable() else "?"
            _refuse(
                "reason_template_invalid",
                _("Templat alasan menyebut fakta tidak dikenal: %s.") % shown[:40],
                "reason_template",
            )
        names.append(name)
    return names


def clean_template(raw) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > TEMPLATE_MAX or problem_in_text(text):
        _refuse(
            "reason_template_invalid",
            _("Templat alasan wajib diisi, satu baris teks, maks. %d karakter.") % TEMPLATE_MAX,
            "reason_template",
        )
    template_fields(text)
    return text


def holds(clause: dict, facts: dict) -> bool:
    fact = FACTS[clause["fact"]]
    value, op, wanted = facts.get(clause["fact"]), clause["op"], clause["value"]
    if fact.kind == "days":
        value = fact.none_as if value is None else value
        if value is None:
            return False
        return {
            "gt": value > wanted,
            "gte": value >= wanted,
            "lt": value < wanted,
            "lte": value <= wanted,
            "eq": value == wanted,
        }[op]
    if op == "in":
        return value in wanted
    return (value == wanted) if op == "eq" else (value != wanted)


def applies(condition: list[dict], facts: dict) -> bool:
    """Every clause holds (a stored condition is never empty: ``clean_condition``)."""
    return bool(condition) and all(holds(c, facts) for c in condition)


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    return str(value)


def render_reason(template: str, facts: dict) -> str:
    """The template with each named fact's value (codes as codes: "segmen AT_RISK")."""
    return template.format_map({name: _shown(facts.get(name)) for name in FACTS})
