"""Rule-based alerts on the Customer 360 header (US-04): simple rules, no AI.

A rule looks at the 360 context (customer, consent states, and whatever other apps put in
``facts``) and returns an Alert or None. Apps register rules in their contract
(``registry.alerts``, ``order`` decides the display order); the rules below are the 360's own,
registered in ``customer360/contract.py``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import Alert

# Seed 001 §7: critical first, then warnings, then information; registry order within a level.
# The level names are the stylesheet's: "danger" is the seed's CRITICAL.
SEVERITY_RANK = {"danger": 0, "warning": 1, "info": 2}


def alerts_for(context) -> list[Alert]:
    found = []
    for _code, rule in registry.alerts.items():
        alert = rule(context)
        if alert is not None:
            found.append(alert)
    return sorted(found, key=lambda a: SEVERITY_RANK.get(a.level, len(SEVERITY_RANK)))


def consent_withdrawn(ctx) -> Alert | None:
    if ctx.consents.get("MARKETING") == "WITHDRAWN":
        return Alert(
            "CONSENT_WITHDRAWN",
            "danger",
            _("Persetujuan pemasaran DITARIK"),
            _("Jangan tawarkan produk; nasabah tidak boleh menjadi target kampanye."),
            overrides_marketing=True,
        )
    return None


def fraud(ctx) -> Alert | None:
    if ctx.customer.fraud_flag:
        return Alert(
            "FRAUD_FLAG",
            "danger",
            _("Tanda fraud"),
            _("Data nasabah ditandai fraud: verifikasi identitas dengan ketat."),
        )
    return None


def vip(ctx) -> Alert | None:
    if ctx.customer.is_vip:
        return Alert("VIP_CUSTOMER", "info", _("Nasabah VIP"), _("Ditandai VIP pada data nasabah."))
    return None


def merged(ctx) -> Alert | None:
    if ctx.customer.merged_into_id:
        return Alert(
            "MERGED",
            "warning",
            _("Data ini sudah digabung ke nasabah lain"),
            _("Gunakan data nasabah hasil penggabungan."),
        )
    return None


def possible_duplicate(ctx) -> Alert | None:
    if ctx.facts.get("open_duplicates"):
        return Alert(
            "POSSIBLE_DUPLICATE",
            "warning",
            _("Kemungkinan data ganda"),
            _("Ada usulan duplikat yang belum diputuskan data steward."),
        )
    return None
