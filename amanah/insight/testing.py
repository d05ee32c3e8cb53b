"""Test and demo helpers that build insight data through the services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from amanah.core.actors import SystemActor
from amanah.insight.services import TransactionInput, transactions_record

_refs = itertools.count(1)


def book(
    actor,
    customer,
    *,
    days_ago=0,
    amount=100_000,
    channel="QRIS",
    count=1,
    on=None,
    category="FNB",
    merchant_id="",
) -> int:
    """Book ``count`` transactions of ``amount`` for ``customer`` ``days_ago`` days before
    today (or ``on``), through ``transactions_record``."""
    day = on or (timezone.localdate() - timedelta(days=days_ago))
    rows = [
        TransactionInput(
            customer_id=customer.pk,
            booked_on=day,
            amount=amount,
            channel=channel,
            merchant_category=category if channel in ("QRIS", "EDC") else "",
            merchant_id=merchant_id,
            reference=f"T-{customer.pk.hex[:12]}-{next(_refs)}",
        )
        for _ in range(count)
    ]
    return transactions_record(actor=actor, rows=rows)


def nba_change_kwargs(world: dict) -> dict:
    """A rule change proposed by a MARKETING user of its own (made once per world), for the
    view-permission cases: whoever is checked is a second person."""
    if "nba_change" not in world:
        from amanah.core.roles import RoleKey
        from amanah.iam import services as iam
        from amanah.insight.nba.models import NbaRule
        from amanah.insight.nba.services import RuleInput, nba_rule_propose

        author = iam.user_create(
            actor=SystemActor("system:test"),
            username="nba_proposer",
            full_name="Pengusul NBA",
            password="Kata-sandi-uji-panjang-1",
            roles=[RoleKey.MARKETING],
            scopes=[iam.ScopeInput(branch=None)],
        )
        author.active_role = RoleKey.MARKETING
        rule = NbaRule.objects.get(pk="FEATURE_ACTIVATION")
        world["nba_change"] = nba_rule_propose(
            actor=author,
            rule_code=rule.code,
            data=RuleInput(
                action_type=rule.action_type,
                title="Ajak aktivasi QRIS",
                reason_template=rule.reason_template,
                priority=rule.priority,
                condition=rule.condition,
                purpose=rule.purpose,
                channel=rule.channel,
            ),
        )
    return {"change_id": world["nba_change"].pk}


def closed_case(actor, customer, *, category="FRAUD_SCAM", closer=None):
    """A case of ``category`` opened by ``actor`` and closed by ``closer`` (default the same)
    through the cases services; closing a FRAUD_SCAM case fires the seeded apology call."""
    from amanah.cases import services as cases

    case = cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code=category,
            priority="MEDIUM",
            description="Nasabah tertipu telepon palsu yang mengaku petugas bank.",
        ),
    )
    cases.case_change_status(actor=actor, case=case, to_status="IN_PROGRESS")
    cases.case_final_response(
        actor=actor,
        case=case,
        text="Kasus telah diselidiki dan dana nasabah sudah dipulihkan.",
        resolution_code="REFUND",
    )
    return cases.case_close(actor=closer or actor, case=case)


def recovery_kwargs(world: dict, key: str = "a") -> dict:
    """A PENDING recovery (the apology call of a closed FRAUD_SCAM case, value 0, so sending
    needs no approval) of the world's customer ``key`` (branch a or b), made once per world."""
    name = f"recovery_{key}"
    if name not in world:
        from amanah.insight.recovery.models import ServiceRecovery

        case = closed_case(SystemActor("system:test"), world[f"customer_{key}"])
        world[name] = ServiceRecovery.objects.get(case=case)
    return {"recovery_id": world[name].pk}


# --------------------------------------------------------------------------- merchants


def merchant_make(
    code: str,
    *,
    lat: float | None = 3.5897,
    lon: float | None = 98.6797,
    category: str = "FNB",
    city: str = "Medan",
    promo: str = "Diskon 20% bayar pakai QRIS",
    ends_in_days: int = 30,
    active: bool = True,
):
    """A partner merchant stored directly (test and bench data; the pages use the services)."""
    from amanah.insight.merchants.models import Merchant

    return Merchant.objects.create(
        code=code,
        name=f"Merchant {code}",
        category=category,
        city=city,
        latitude=lat,
        longitude=lon,
        promo_text=promo,
        promo_ends_on=timezone.localdate() + timedelta(days=ends_in_days) if promo else None,
        active=active,
    )


MERCHANT_TEMPLATE = {
    "key": "insight.merchant_promo",
    "channel": "WHATSAPP",
    "purpose": "OFFER",
    "name": "Promo merchant terdekat (WhatsApp)",
    "category": "MARKETING",
    "provider_template": "merchant_promo",
    "text": "Halo {{customer.first_name}}, {{merchant.name}} di dekat Anda: {{merchant.promo}} "
    "Lihat: {{merchant.url}} Balas STOP untuk berhenti menerima penawaran.",
}


def approve_merchant_template(author, approver):
    """The WhatsApp template of "Kirim rekomendasi" (OFFER: four eyes), written by ``author``
    and approved by ``approver`` through the template services."""
    from amanah.messaging import template_services as ts

    template = ts.template_create(actor=author, **MERCHANT_TEMPLATE)
    version = template.versions.get()
    ts.template_version_submit(actor=author, version=version)
    ts.template_version_approve(actor=approver, version=version, note="Disetujui")
    return version


def merchant_kwargs(world: dict) -> dict:
    if "merchant" not in world:
        world["merchant"] = merchant_make("QR-VIEW-1")
    return {"merchant_id": world["merchant"].pk}


def merchant_send_data(world: dict) -> dict:
    return {"merchant": str(merchant_kwargs(world)["merchant_id"])}
