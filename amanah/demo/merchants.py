"""The bank demo's QRIS merchant partners (seed 001 §2, docs/merchants.md; issue 50, 6), so the
"Merchant mitra" list, the 360's "Promo Merchant" tab and the Next Best Action's local
merchant have something to show on the first start.

The demo's transactions pay at ``QR-<city>-0000`` … ``QR-<city>-0039`` (``demo.transactions``:
the city is the customer's branch code's first three letters), so each of those codes becomes
a partner here: its category the one the spending of that code shows most, a name of that
trade, a point in its city (Medan, Pematangsiantar), and — for most — a live promo for QRIS
payers. A few have no promo, one in twenty-five no coordinates (listed, never recommended by
distance), one in twenty is no longer a partner (deactivated). The WhatsApp template the
recommendation is sent with (``insight.merchant_promo``, OFFER) is written by marketing and
approved by compliance (four eyes), as the other offers are. Everything through insight's
and messaging's services, as MARKETING would.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from amanah.core.roles import RoleKey as R
from amanah.demo.transactions import MERCHANTS_PER_CITY, QRIS_CATEGORIES
from amanah.iam.models import User

SEED = 20261130
# The branch codes' first three letters (demo.transactions) → the city and its centre.
CITIES = {
    "KP": ("Medan", (3.5894, 98.6738)),
    "MDN": ("Medan", (3.5952, 98.6722)),
    "PMS": ("Pematangsiantar", (2.9595, 99.0687)),
}
TRADES = {
    "FNB": ["Kopi", "Mie Aceh", "Bika Ambon", "Soto Medan", "Durian", "Martabak", "Lontong"],
    "GROCERY": ["Toko Kelontong", "Swalayan", "Grosir", "Pasar Mini"],
    "FUEL": ["SPBU", "Pertashop"],
    "FASHION": ["Butik", "Ulos", "Konveksi"],
    "HEALTH": ["Apotek", "Klinik Pratama", "Optik"],
}
OWNERS = ["Sinaga", "Siregar", "Lubis", "Nasution", "Harahap", "Tarigan", "Ginting", "Pane",
          "Sembiring", "Simanjuntak", "Hutapea", "Daulay"]  # fmt: skip
PROMOS = [
    "Diskon 10% bayar pakai QRIS Bank Sumut",
    "Cashback Rp 15.000 min. belanja Rp 100.000 via QRIS",
    "Gratis minuman untuk pembayaran QRIS",
    "Potongan Rp 5.000 setiap transaksi QRIS",
]
TEMPLATE = {
    "key": "insight.merchant_promo",
    "channel": "WHATSAPP",
    "purpose": "OFFER",
    "name": "Rekomendasi merchant mitra (WhatsApp)",
    "category": "MARKETING",
    "provider_template": "merchant_promo",
    "text": "Halo {{customer.first_name}}, ada promo di {{merchant.name}} dekat Anda: "
    "{{merchant.promo}}. Lihat: {{merchant.url}}. Balas STOP untuk berhenti menerima penawaran.",
}


def _categories_paid() -> dict[str, str]:
    """Each merchant code's most paid category in the demo's transactions."""
    from amanah.insight.models import Transaction

    counts: dict[str, Counter] = {}
    rows = (
        Transaction.objects.filter(merchant_id__startswith="QR-")
        .exclude(merchant_category="")
        .values_list("merchant_id", "merchant_category")
    )
    for code, category in rows.iterator(chunk_size=5_000):
        counts.setdefault(code, Counter())[category] += 1
    return {code: c.most_common(1)[0][0] for code, c in counts.items()}


def _point(rng: random.Random, centre: tuple[float, float]) -> tuple[float, float]:
    """Within about 6 km of the city centre."""
    return (
        round(centre[0] + rng.uniform(-0.055, 0.055), 6),
        round(centre[1] + rng.uniform(-0.055, 0.055), 6),
    )


def _template(author: User, approver: User) -> None:
    from amanah.messaging import template_services as ts
    from amanah.messaging.models import MessageTemplate

    if MessageTemplate.objects.filter(key=TEMPLATE["key"], channel=TEMPLATE["channel"]).exists():
        return
    template = ts.template_create(actor=author, **TEMPLATE)
    version = template.versions.get()
    ts.template_version_submit(actor=author, version=version)
    ts.template_version_approve(actor=approver, version=version, note="Demo")


def seed_merchants(actor) -> None:
    """The partners (module docstring), then the recommendation's template."""
    from amanah.insight.merchants.services import merchant_create, merchant_deactivate

    rng = random.Random(SEED)
    paid = _categories_paid()
    weighted = [c for c, _w in QRIS_CATEGORIES]
    weights = [w for _c, w in QRIS_CATEGORIES]
    today = timezone.localdate()
    for prefix, (city, centre) in CITIES.items():
        for n in range(MERCHANTS_PER_CITY):
            code = f"QR-{prefix}-{n:04d}"
            category = paid.get(code) or rng.choices(weighted, weights)[0]
            trade = rng.choice(TRADES.get(category, ["Toko"]))
            point = _point(rng, centre) if n % 25 != 24 else (None, None)
            promo = rng.choice(PROMOS) if n % 8 != 7 else ""
            merchant = merchant_create(
                actor=actor,
                code=code,
                name=f"{trade} {rng.choice(OWNERS)} {n + 1}",
                category=category,
                city=city,
                latitude=point[0],
                longitude=point[1],
                promo_text=promo,
                promo_ends_on=today + timedelta(days=rng.randint(20, 90)) if promo else None,
            )
            if n % 20 == 19:
                merchant_deactivate(actor=actor, merchant_id=merchant.pk)
    people = {u.username: u for u in User.objects.filter(username__in=["marketing", "compliance"])}
    if len(people) == 2:
        people["marketing"].active_role = R.MARKETING
        people["compliance"].active_role = R.COMPLIANCE
        _template(people["marketing"], people["compliance"])
