"""Segment rules: a small JSON language compiled to one SQL condition.

    {"all": [{"field": "segment_code", "op": "in", "value": ["PRIORITY"]},
             {"field": "is_vip", "op": "eq", "value": true},
             {"field": "branch", "op": "in", "value": ["MDN01"]},
             {"field": "open_case", "op": "eq", "value": false},
             {"field": "marketing_consent", "op": "eq", "value": "GRANTED"},
             {"field": "has_savings", "op": "eq", "value": true},
             {"field": "status", "op": "in", "value": ["ACTIVE"]}]}

Other apps add fields through ``registry.segment_fields`` (a ``SegmentField``: its allowed
codes and its SQL condition), used as ``{"field": key, "op": "in" | "not_in", "value": [...]}``.

Unknown fields, operators or values are refused with a clear message (never a 500).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from amanah.core import registry
from amanah.core.errors import ServiceError

BOOLEAN_FIELDS = {"is_vip", "has_savings", "has_mobile_banking", "has_loan", "has_credit_card"}
LIST_FIELDS = {"segment_code": "segment_code", "branch": "home_branch__code", "status": "status"}
CONSENT_VALUES = {"GRANTED", "WITHDRAWN", "NONE"}
FIELDS = sorted(BOOLEAN_FIELDS | set(LIST_FIELDS) | {"open_case", "marketing_consent"})


def _refuse(message: str):
    raise ServiceError("rule_invalid", message, field="rules")


def _open_case() -> Exists:
    from amanah.cases.models import OPEN_STATUSES, Case

    return Exists(Case.objects.filter(customer=OuterRef("pk"), status__in=OPEN_STATUSES))


def _consent(value: str) -> Q:
    from amanah.consent.models import ConsentState

    if value == "NONE":
        return ~Q(
            Exists(ConsentState.objects.filter(customer=OuterRef("pk"), consent_type="MARKETING"))
        )
    return Q(
        Exists(
            ConsentState.objects.filter(
                customer=OuterRef("pk"), consent_type="MARKETING", status=value
            )
        )
    )


def _registered(field: str, offered, op, value) -> Q:
    """A field another app registered: codes from its list only."""
    if op not in ("in", "not_in") or not isinstance(value, list) or not value:
        _refuse(_("Aturan %s membutuhkan op 'in'/'not_in' dan daftar nilai.") % field)
    allowed = {str(code) for code, _label in offered.choices()}
    if not all(isinstance(v, str) and v in allowed for v in value):
        _refuse(_("Nilai aturan %s tidak dikenal.") % field)
    condition = Q(offered.condition(value))
    return condition if op == "in" else ~condition


def _condition(rule) -> Q:
    if not isinstance(rule, dict):
        _refuse(_("Setiap aturan harus berupa objek."))
    field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    if field in BOOLEAN_FIELDS or field == "open_case":
        if op != "eq" or not isinstance(value, bool):
            _refuse(_("Aturan %s membutuhkan op 'eq' dan nilai true/false.") % field)
        if field == "open_case":
            return Q(_open_case()) if value else ~Q(_open_case())
        return Q(**{field: value})
    if field in LIST_FIELDS:
        if op not in ("in", "not_in") or not isinstance(value, list) or not value:
            _refuse(_("Aturan %s membutuhkan op 'in'/'not_in' dan daftar nilai.") % field)
        if not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
            _refuse(_("Nilai aturan %s harus teks pendek.") % field)
        condition = Q(**{f"{LIST_FIELDS[field]}__in": value})
        return condition if op == "in" else ~condition
    offered = dict(registry.segment_fields.items())  # the deployment profile's own
    if isinstance(field, str) and field in offered:
        return _registered(field, offered[field], op, value)
    if field == "marketing_consent":
        if op != "eq" or value not in CONSENT_VALUES:
            _refuse(_("Aturan persetujuan: GRANTED, WITHDRAWN atau NONE."))
        return _consent(value)
    _refuse(_("Kolom aturan tidak dikenal: %s") % field)


def compile_rules(rules) -> Q:
    """The SQL condition of a rule set; an empty set matches every customer."""
    if not isinstance(rules, dict) or set(rules) != {"all"} or not isinstance(rules["all"], list):
        _refuse(_('Aturan harus berbentuk {"all": [ ... ]}.'))
    if len(rules["all"]) > 30:
        _refuse(_("Maksimal 30 aturan per segmen."))
    if not rules["all"]:
        return Q(pk__isnull=False)  # every customer; an empty Q() is refused inside When()
    condition = Q()
    for rule in rules["all"]:
        condition &= _condition(rule)
    return condition
