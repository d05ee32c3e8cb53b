"""Rule-based alerts on the Customer 360 header (US-04): simple rules, no AI.

A rule looks at the 360 context (customer, consent states, and whatever other modules put in
``facts``) and returns an Alert or None. Modules add rules with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Alert:
    code: str
    level: str  # "danger", "warning", "info"
    label: str
    detail: str = ""
    overrides_marketing: bool = False


Rule = Callable[[object], Alert | None]
_rules: dict[str, tuple[int, Rule]] = {}


def register(code: str, rule: Rule, *, order: int = 50) -> None:
    _rules[code] = (order, rule)


def alerts_for(context) -> list[Alert]:
    found = []
    for _code, (_order, rule) in sorted(_rules.items(), key=lambda item: item[1][0]):
        alert = rule(context)
        if alert is not None:
            found.append(alert)
    return found


def _consent_withdrawn(ctx) -> Alert | None:
    if ctx.consents.get("MARKETING") == "WITHDRAWN":
        return Alert(
            "CONSENT_WITHDRAWN",
            "danger",
            _("Persetujuan pemasaran DITARIK"),
            _("Jangan tawarkan produk; nasabah tidak boleh menjadi target kampanye."),
            overrides_marketing=True,
        )
    return None


def _fraud(ctx) -> Alert | None:
    if ctx.customer.fraud_flag:
        return Alert(
            "FRAUD_FLAG", "danger", _("Tanda fraud"), _("Verifikasi identitas dengan ketat.")
        )
    return None


def _vip(ctx) -> Alert | None:
    return Alert("VIP", "info", _("Nasabah VIP")) if ctx.customer.is_vip else None


def _merged(ctx) -> Alert | None:
    if ctx.customer.merged_into_id:
        return Alert("MERGED", "warning", _("Data ini sudah digabung ke nasabah lain"))
    return None


def _possible_duplicate(ctx) -> Alert | None:
    if ctx.facts.get("open_duplicates"):
        return Alert("POSSIBLE_DUPLICATE", "warning", _("Kemungkinan data ganda"))
    return None


register("CONSENT_WITHDRAWN", _consent_withdrawn, order=0)  # always first: it overrides marketing
register("FRAUD_FLAG", _fraud, order=10)
register("MERGED", _merged, order=20)
register("VIP", _vip, order=60)
register("POSSIBLE_DUPLICATE", _possible_duplicate, order=70)
