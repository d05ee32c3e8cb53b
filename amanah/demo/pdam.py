"""The PDAM demo (``make demo PROFILE=pdam``, issue 17): a Perumda Air Minum with three service
areas and two SPAM, a few thousand pelanggan with coordinates and connections, three months of
meter readings, two billing runs, payments (full, partial, overpaid), complaints.

Like the bank's demo (``demo.services``) everything goes through the ordinary services — the
utility's, the cases', iam's — as labelled system actors, and is loaded part by part: each part
is checked first, so a second start adds nothing (idempotent) and a later version's parts are
added to an older demo database. Numbers come from a seeded generator: a demo looks the same
every time. Dates are counted back from today (readings of the last three months, the bills
of the last two, the older one past due).

New connections (pasang baru) stand at every step of their workflow, moved by the demo's
own staff (``_seed_installations``).
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import date

from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.demo.services import (
    DEMO_PASSWORD,
    DEMO_TOTP_BASE32,
    DemoUser,
    staff_create,
)
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_TOTP_BASE32",
    "INSTITUTION",
    "MFA_USERS",
    "USERS",
    "pdam_demo_seed",
]

INSTITUTION = "Perumda Air Minum Tirta Amanah"
MFA_USERS = "admin and kasir"  # the demo's start-up note (ADMIN and COMPLIANCE need MFA)
SEED = 20261125
ACTOR = SystemActor("system:demo-pdam")

# Kantor pusat and one unit pelayanan per service area.
BRANCHES = [
    ("PDAMKP", "Kantor Pusat Perumda Air Minum Tirta Amanah", TimeZoneChoice.WIB),
    ("UPUTR", "Unit Pelayanan Medan Utara", TimeZoneChoice.WIB),
    ("UPKOT", "Unit Pelayanan Medan Kota", TimeZoneChoice.WIB),
    ("UPSEL", "Unit Pelayanan Medan Selatan", TimeZoneChoice.WIB),
]

# code, name, capacity l/s, production l/s
SPAMS = [
    ("SPAM-SGL", "SPAM Sunggal", "500", "430"),
    ("SPAM-DTA", "SPAM Deli Tua", "250", "210"),
]

# code, name, centre, radius (m), SPAM, branch (unit pelayanan), share of the pelanggan
_UTR, _KOT, _SEL = ("3.690000", "98.670000"), ("3.590000", "98.680000"), ("3.520000", "98.660000")
AREAS = [
    ("W-UTR", "Wilayah Medan Utara", _UTR, 4_000, "SPAM-SGL", "UPUTR", 0.35),
    ("W-KOT", "Wilayah Medan Kota", _KOT, 3_500, "SPAM-SGL", "UPKOT", 0.40),
    (
        "W-SEL",
        "Wilayah Medan Selatan",
        ("3.520000", "98.660000"),
        4_500,
        "SPAM-DTA",
        "UPSEL",
        0.25,
    ),
]

# code, name, abonemen, blocks [(from m³, to m³, rupiah per m³)], share
TARIFFS = [
    ("R1", "Rumah Tangga 1", 10_000, [(0, 10, 2_500), (10, 20, 3_500), (20, None, 5_000)], 0.55),
    ("R2", "Rumah Tangga 2", 15_000, [(0, 10, 3_500), (10, 20, 4_500), (20, None, 6_000)], 0.30),
    ("N1", "Niaga Kecil", 25_000, [(0, 10, 5_500), (10, 20, 7_000), (20, None, 8_500)], 0.15),
]

STREETS = [
    "Jl. Sisingamangaraja",
    "Jl. Gatot Subroto",
    "Jl. Brigjend Katamso",
    "Jl. Setia Budi",
    "Jl. Kapten Muslim",
    "Jl. Marelan Raya",
    "Jl. Yos Sudarso",
    "Jl. Sei Batang Hari",
    "Jl. Karya Wisata",
    "Jl. Kenari",
    "Jl. Bunga Raya",
    "Jl. Pasar Merah",
]


# One user per PDAM function (the roles they stand on: docs/architecture-reference.md,
# "Deployment profiles").
USERS = [
    DemoUser("direktur", "Ir. Bambang Sitepu", (R.DIRECTOR,), "PDAMKP", (), "direksi@tirta.test"),
    DemoUser(
        "supervisor", "Nurhayati Daulay", (R.SUPERVISOR,), "UPKOT", ("UPKOT",), "spv@tirta.test"
    ),
    DemoUser("cs", "Rahmat Hidayat", (R.AGENT,), "UPKOT", ("UPKOT",), "cs@tirta.test"),
    DemoUser("cs2", "Dewi Sartika Purba", (R.AGENT,), "UPUTR", ("UPUTR",), "cs2@tirta.test"),
    DemoUser("teknisi", "Joko Susilo", (R.RM,), "UPKOT", ("UPKOT",), "teknisi@tirta.test"),
    DemoUser("kasir", "Fitri Handayani", (R.COMPLIANCE,), "PDAMKP", (), "keuangan@tirta.test"),
    DemoUser("admin", "Andi Ginting", (R.ADMIN,), "PDAMKP", (), "ti@tirta.test"),
]


def _months_back(today: date, n: int) -> date:
    month = today.month - n
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


# --------------------------------------------------------------------------- parts


def _staff_loaded() -> bool:
    return Branch.objects.filter(code=BRANCHES[0][0]).exists()


def _seed_staff(actor) -> None:
    """The branches, one user per PDAM function, and the profile's grants in the matrix."""
    from amanah.iam.services.rbac import rbac_profile_grants_apply

    rbac_profile_grants_apply()
    branches = {
        code: iam.branch_save(actor=actor, code=code, name=name, timezone_name=tz)
        for code, name, tz in BRANCHES
    }
    for spec in USERS:
        if User.objects.filter(username=spec.username).exists():
            continue  # a bank demo in the same database keeps its own
        staff_create(actor, spec, branches)


def _network_loaded() -> bool:
    from amanah.utility.models import ServiceArea

    return ServiceArea.objects.filter(code=AREAS[0][0]).exists()


def _seed_network(actor) -> None:
    """Two SPAM, three service areas, three tariff groups."""
    from amanah.utility import services as utility

    for code, name, capacity, production in SPAMS:
        utility.spam_save(
            actor=actor, code=code, name=name, capacity_lps=capacity, production_lps=production
        )
    for code, name, (lat, lon), radius, spam, _branch, _share in AREAS:
        utility.area_save(
            actor=actor,
            code=code,
            name=name,
            centre_lat=lat,
            centre_lon=lon,
            radius_m=radius,
            spam_code=spam,
        )
    for code, name, fixed, blocks, _share in TARIFFS:
        utility.tariff_group_save(
            actor=actor, code=code, name=name, fixed_charge=fixed, blocks=blocks
        )


def _pelanggan_loaded() -> bool:
    from amanah.utility.models import Connection

    return Connection.objects.filter(number__startswith="DM").exists()


def _point(rng: random.Random, lat: str, lon: str, radius: int) -> tuple[str, str]:
    """A point around the area's centre: inside its radius, 3 % a little beyond (the network
    page's coverage check shows them)."""
    reach = radius * (rng.uniform(1.05, 1.3) if rng.random() < 0.03 else math.sqrt(rng.random()))
    angle = rng.uniform(0, 2 * math.pi)
    dlat = reach * math.cos(angle) / 111_320
    dlon = reach * math.sin(angle) / (111_320 * math.cos(math.radians(float(lat))))
    return f"{float(lat) + dlat:.6f}", f"{float(lon) + dlon:.6f}"


def _seed_pelanggan(actor) -> None:
    """``DEMO_PDAM_CUSTOMERS`` pelanggan with realistic names (``demo.namegen``) over the
    areas, each with a connection (no. sambungan ``DM<area>-<n>``, tariff, meter, address with
    RT/RW, coordinates): 90 % active, 5 % suspended for arrears, 5 % applied and waiting for
    installation (the pasang-baru workflow's to move)."""
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.demo.namegen import demo_customers
    from amanah.utility import services as utility

    rng = random.Random(SEED)
    branches = {b.code: b for b in Branch.objects.filter(code__in=[a[5] for a in AREAS])}
    area_weights = [a[6] for a in AREAS]
    tariff_weights = [t[4] for t in TARIFFS]
    rows = demo_customers(settings.DEMO_PDAM_CUSTOMERS, list(branches.values()), seed=SEED)
    for n, row in enumerate(rows, start=1):
        area = rng.choices(AREAS, area_weights)[0]
        code, _name, (lat, lon), radius, _spam, branch_code, _share = area
        customer = customer_create(
            actor=actor,
            data=CustomerInput(
                full_name=row["full_name"],
                home_branch=branches[branch_code],
                birth_date=row["birth_date"],
                gender=row["gender"],
                phone=row["phone"],
                email=row["email"],
                nik=row["nik"],
            ),
        )
        point = _point(rng, lat, lon, radius)
        made = utility.connection_create(
            actor=actor,
            data=utility.ConnectionInput(
                customer_id=customer.pk,
                number=f"DM{AREAS.index(area) + 1}-{n:06d}",
                tariff_code=rng.choices(TARIFFS, tariff_weights)[0][0],
                area_code=code,
                street=rng.choice(STREETS),
                # A few addresses without RT/RW (the list's "alamat belum lengkap" filter).
                house_number=str(rng.randint(1, 250)),
                rt="" if rng.random() < 0.04 else str(rng.randint(1, 15)),
                rw="" if rng.random() < 0.04 else str(rng.randint(1, 9)),
                village=f"Kelurahan {rng.choice(['Sei Sikambing', 'Sidorejo', 'Titi Kuning', 'Labuhan', 'Pasar Merah', 'Helvetia'])}",  # noqa: E501
                meter_number=f"MTR{n:08d}",
                lat=point[0],
                lon=point[1],
            ),
        )
        if n % 20 == 7:
            continue  # APPLIED (one in twenty): waiting for its installation
        connection_id = made.connection.pk
        utility.connection_status_set(actor=actor, connection_id=connection_id, status="ACTIVE")
        if n % 20 == 13:  # one in twenty
            utility.connection_status_set(
                actor=actor,
                connection_id=connection_id,
                status="SUSPENDED",
                reason="Tunggakan lebih dari tiga bulan",
            )


def _bills_loaded() -> bool:
    from amanah.utility.models import Bill

    return Bill.objects.filter(connection__number__startswith="DM").exists()


def _seed_bills(actor) -> None:
    """Readings of the last three months for every active connection (a household uses
    8–35 m³ a month), then the billing runs of the last two months (bills and their journal
    entries)."""
    from amanah.utility import billing
    from amanah.utility import services as utility
    from amanah.utility.models import Connection

    rng = random.Random(SEED + 1)
    today = timezone.localdate()
    periods = [_months_back(today, n) for n in (3, 2, 1)]
    rows = []
    for pk in (
        Connection.objects.filter(number__startswith="DM", status="ACTIVE")
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        reading = rng.randint(100, 2_000)
        for period in periods:
            reading += 0 if period == periods[0] else rng.randint(8, 35)
            rows.append(utility.ReadingRow(pk, period, reading))
    for start in range(0, len(rows), 3_000):
        utility.readings_record(actor=actor, rows=rows[start : start + 3_000])
    for period in periods[1:]:
        billing.billing_run(actor=actor, period=period)


def _payments_loaded() -> bool:
    from amanah.utility.models import Receipt

    return Receipt.objects.filter(reference__startswith="DEMO-PDAM-").exists()


def _seed_payments(actor) -> None:
    """Payments at the cashier and through the bank channel: most pelanggan paid the older
    bill in full, some only part of it, a few paid more (kept as credit); about a third have
    already paid the newer bill; the rest are in arrears (field ops' ageing)."""
    from amanah.ledger import chart
    from amanah.utility.accounts import payment_apply
    from amanah.utility.models import Bill

    rng = random.Random(SEED + 2)
    today = timezone.localdate()
    older, newer = _months_back(today, 2), _months_back(today, 1)
    bills = (
        Bill.objects.filter(connection__number__startswith="DM", period__in=[older, newer])
        .order_by("connection_id", "period")
        .values_list("connection_id", "period", "total")
    )
    due: dict[int, list[tuple[date, int]]] = {}
    for connection_id, period, total in bills:
        due.setdefault(connection_id, []).append((period, int(total)))
    for connection_id, owed in due.items():
        fate = rng.random()
        first = owed[0][1]
        if fate < 0.15:
            continue  # in arrears
        if fate < 0.25:
            amount = max(1_000, first // 2 // 1_000 * 1_000)  # part of the older bill
        elif fate < 0.6:
            amount = first
        elif fate < 0.95:
            amount = sum(total for _p, total in owed)
        else:
            amount = sum(total for _p, total in owed) + 50_000  # overpaid: credit
        payment_apply(
            actor=actor,
            connection_id=connection_id,
            amount=amount,
            reference=f"DEMO-PDAM-{connection_id}",
            paid_on=min(today, _months_back(today, 0).replace(day=rng.randint(1, 10))),
            **(
                {"source": "cashier", "cash_account": chart.KAS}
                if rng.random() < 0.6
                else {"source": "bank", "cash_account": chart.BANK}
            ),
        )


def _complaints_loaded() -> bool:
    from amanah.cases.models import Case

    return Case.objects.filter(category__code__startswith="PDAM_").exists()


def _seed_complaints(actor) -> None:
    """The PDAM complaint categories (with their SLA policies), then ``DEMO_PDAM_COMPLAINTS``
    complaints of pelanggan in their own words (the classifier's generated phrasings: air
    mati, air keruh, tekanan lemah, pipa bocor, meter rusak, tagihan …), filed through the
    cases service at the pelanggan's unit pelayanan; a share already in progress."""
    from amanah.cases import services as cases
    from amanah.cases.classifier import profiles as classifier_profiles
    from amanah.cases.classifier.services import CLASSIFIER, seed_categories
    from amanah.cases.classifier.training import classifier_train
    from amanah.customers.models import Customer

    seed_categories("pdam")
    # The first model version, as the training job would train it (a web request never does).
    classifier_train(actor=CLASSIFIER, profile_key="pdam")
    # The code an area incident's complaints are resolved with is every installation's
    # (utility migration 0007_incident_resolution_code): the demo reuses it.
    profile = classifier_profiles.get("pdam")
    rng = random.Random(SEED + 3)
    phrasings = profile.generate(seed=SEED)
    rng.shuffle(phrasings)
    customers = list(
        Customer.objects.filter(water_connection__number__startswith="DM")
        .select_related("home_branch")
        .order_by("pk")[: settings.DEMO_PDAM_CUSTOMERS]
    )
    if not customers:
        return
    # The bulk all arrives "now": grouped at the deployment's threshold it would open an
    # incident per area and category and tell thousands of pelanggan. It is filed with the
    # grouping off; one realistic outage is seeded after it (``_seed_incident``).
    with override_settings(UTILITY_INCIDENT_THRESHOLD=0):
        _file_complaints(actor, cases, profile, rng, phrasings, customers)
    _seed_incident(actor)


def _file_complaints(actor, cases, profile, rng, phrasings, customers) -> None:
    for n, (text, code) in enumerate(phrasings[: settings.DEMO_PDAM_COMPLAINTS]):
        label = profile.label(code)
        case = cases.case_create(
            actor=actor,
            data=cases.CaseInput(
                customer=rng.choice(customers),
                channel=rng.choice(["CALL_CENTER", "BRANCH", "WHATSAPP"]),
                category_code=label.category,
                priority=label.priority,
                description=text,
            ),
        )
        if n % 3 == 0:
            cases.case_change_status(
                actor=actor, case=case, to_status="IN_PROGRESS", note="Teknisi dijadwalkan."
            )


DEMO_INCIDENT_AREA = "W-SEL"  # the smallest area: its active pelanggan are told
DEMO_INCIDENT_THRESHOLD = 5
DEMO_OUTAGE = [
    "Air mati sejak subuh di Jl. Karya Wisata, satu gang tidak ada air sama sekali",
    "air ga ngalir dr pagi pak, kran kering semua di rumah",
    "Sejak jam 5 pagi air PDAM mati total di Gg. Mawar, mohon info kapan normal",
    "Tidak ada air sejak pagi, tetangga juga sama. Ada perbaikan pipa?",
    "Air mati lagi di kompleks kami, anak-anak mau sekolah belum mandi",
    "Keran tidak keluar air dari subuh di Jl. Eka Rasmi, tolong dicek",
]


def _seed_incident(actor) -> None:
    """One realistic outage: air mati complaints from pelanggan of Medan Selatan filed one
    after the other; the fifth reaches the threshold and opens the area incident (the system
    does it, as in production), the sixth joins it; the area's pelanggan are told through the
    messaging hub by the notice job."""
    from amanah.cases import services as cases
    from amanah.customers.models import Customer

    people = list(
        Customer.objects.filter(
            water_connection__area__code=DEMO_INCIDENT_AREA,
            water_connection__status="ACTIVE",
            water_connection__number__startswith="DM",
        ).order_by("pk")[: len(DEMO_OUTAGE)]
    )
    if not people:
        return
    with override_settings(
        UTILITY_INCIDENT_THRESHOLD=DEMO_INCIDENT_THRESHOLD, UTILITY_INCIDENT_WINDOW_MINUTES=120
    ):
        # A small demo (tests) has few pelanggan there: one may call twice.
        for customer, text in zip(itertools.cycle(people), DEMO_OUTAGE, strict=False):
            cases.case_create(
                actor=actor,
                data=cases.CaseInput(
                    customer=customer,
                    channel="CALL_CENTER",
                    category_code="PDAM_AIR_MATI",
                    priority="HIGH",
                    description=text,
                ),
            )


def _installations_loaded() -> bool:
    from amanah.utility.models import Installation

    return Installation.objects.filter(connection__number__startswith="PB-").exists()


# The RAB of a standard 1/2-inch house connection (item, quantity, unit price in rupiah).
DEMO_RAB = [
    ("Pipa PE 1/2 inci (m)", 12, 15_250),
    ("Meter air 1/2 inci", 1, 450_000),
    ("Jasa pemasangan", 1, 350_000),
]


def _seed_installations(_actor) -> None:
    """Seven applications in Medan Kota, one standing at each step of the new-connection
    workflow (application … meter activated), moved by the people whose step it is: ``cs``
    registers and prices, ``teknisi`` surveys, installs and activates, ``kasir`` (finance)
    approves the RAB and takes its payment — four eyes hold, as in production. Two of them pay
    by installments (one installment paid so far)."""
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.utility import installations as inst
    from amanah.utility import services as utility

    rng = random.Random(SEED + 4)
    people = {u.username: u for u in User.objects.filter(username__in=["cs", "teknisi", "kasir"])}
    cs, tech, finance = people["cs"], people["teknisi"], people["kasir"]
    cs.active_role, tech.active_role, finance.active_role = R.AGENT, R.RM, R.COMPLIANCE
    unit = Branch.objects.get(code="UPKOT")
    area_code, _name, (lat, lon), radius, *_rest = AREAS[1]
    today = timezone.localdate()
    stages = list(inst.S)
    names = ["Siti Rahmah Lubis", "Hendra Gunawan Tarigan", "Maria Ulfa Nasution",
             "Rudi Hartono Simanjuntak", "Lestari Br Ginting", "Ahmad Fauzi Harahap",
             "Yohana Sembiring"]  # fmt: skip
    for n, (full_name, target) in enumerate(zip(names, stages, strict=True), start=1):
        customer = customer_create(
            actor=ACTOR,
            data=CustomerInput(full_name=full_name, home_branch=unit, phone=f"0812600{n:05d}"),
        )
        point = _point(rng, lat, lon, radius)
        installation = inst.installation_apply(
            actor=cs,
            data=utility.ConnectionInput(
                customer_id=customer.pk,
                number=f"PB-{n:04d}",
                tariff_code="R1",
                area_code=area_code,
                street=rng.choice(STREETS),
                house_number=str(rng.randint(1, 250)),
                rt=str(rng.randint(1, 15)),
                rw=str(rng.randint(1, 9)),
            ),
        ).installation
        pk = installation.pk

        def reached(stage, _target=target):
            return stages.index(_target) >= stages.index(stage)

        def move(actor, to, _pk=pk, **data):
            inst.installation_move(actor=actor, installation_id=_pk, to=to, **data)

        if reached(inst.S.SURVEYED):
            move(tech, inst.S.SURVEYED, lat=point[0], lon=point[1], note="Akses pipa dinas dekat.")
        if reached(inst.S.RAB_SUBMITTED):
            lines = [inst.RabLineInput(*line) for line in DEMO_RAB]
            inst.rab_lines_set(actor=cs, installation_id=pk, lines=lines)
            move(cs, inst.S.RAB_SUBMITTED)
        if reached(inst.S.RAB_APPROVED):
            move(finance, inst.S.RAB_APPROVED)
            by_installments = n % 2 == 0
            billed = inst.rab_schedule_set(
                actor=cs,
                installation_id=pk,
                plan="INSTALLMENT" if by_installments else "FULL",
                count=3 if by_installments else 1,
                first_due=today,
            )
        if reached(inst.S.PAID):
            first = billed.installments.order_by("seq").first()
            inst.rab_payment_apply(
                actor=finance,
                installation_id=pk,
                amount=int(first.amount),
                reference=f"DEMO-PB-{n:04d}",
            )
            move(finance, inst.S.PAID)
        if reached(inst.S.INSTALLED):
            move(tech, inst.S.INSTALLED)
        if reached(inst.S.ACTIVE):
            move(tech, inst.S.ACTIVE, meter_number=f"MTR-PB{n:04d}")


# Every DEMO_PREFERENCE_EVERY-th pelanggan named channels (the rest: any channel), so the
# demo's notices show the one rule at work (``messaging.choosing``): WhatsApp for service
# news, e-mail for collection, SMS for offers — where the pelanggan has the address.
DEMO_PREFERENCE_EVERY = 5
DEMO_PREFERENCES = (("SERVICE", "WHATSAPP"), ("COLLECTION", "EMAIL"), ("OFFER", "SMS"))


def _preferences_loaded() -> bool:
    from amanah.consent.models import ContactPreference

    return ContactPreference.objects.filter(
        customer__water_connection__number__startswith="DM"
    ).exists()


def _seed_preferences(actor) -> None:
    """Communication preferences (consent's, channel per purpose) of some pelanggan, through
    the consent service (audited CHANGE_CONSENT), as CS records them when a pelanggan asks;
    a purpose is skipped where the pelanggan has no address on the channel."""
    from amanah.consent.contract import contact_preference_set
    from amanah.customers.models import Customer

    people = Customer.objects.filter(water_connection__number__startswith="DM").order_by("pk")
    for n, customer in enumerate(people.iterator(chunk_size=500)):
        if n % DEMO_PREFERENCE_EVERY:
            continue
        for purpose, channel in DEMO_PREFERENCES:
            if customer.email if channel == "EMAIL" else customer.phone_e164:
                contact_preference_set(
                    actor=actor, customer=customer, purpose=purpose, channel=channel
                )


def _gateways_loaded() -> bool:
    from amanah.payments.webhooks import gateway_systems_missing

    return not gateway_systems_missing()


def _seed_gateways(actor) -> None:
    """The configured gateways' integrations systems, payment grants only: their
    IntegrationActor applies the callbacks of the fake gateway that ``amanah demo`` starts,
    so a VA/QRIS payment can be completed in the demo."""
    from amanah.payments.webhooks import gateway_systems_register

    gateway_systems_register(actor=actor)


def _field_loaded() -> bool:
    from amanah.demo.fieldwork import WATER_SOURCE
    from amanah.fieldops.models import WorkOrder

    return WorkOrder.objects.filter(source=WATER_SOURCE).exists()


def _seed_field(actor) -> None:
    """Last week's cycle of field collection from the water bills in arrears
    (``demo.fieldwork``): this week's generation is the demo script's first step."""
    from amanah.demo.fieldwork import seed_pdam_fieldwork

    seed_pdam_fieldwork(actor)


# Each part: (name, is it there already?, load it).
PARTS = [
    ("staff", _staff_loaded, _seed_staff),
    ("network", _network_loaded, _seed_network),
    ("pelanggan", _pelanggan_loaded, _seed_pelanggan),
    ("preferences", _preferences_loaded, _seed_preferences),
    ("bills", _bills_loaded, _seed_bills),
    ("payments", _payments_loaded, _seed_payments),
    ("complaints", _complaints_loaded, _seed_complaints),
    ("installations", _installations_loaded, _seed_installations),
    ("gateways", _gateways_loaded, _seed_gateways),
    ("field work orders", _field_loaded, _seed_field),
]


def pdam_demo_seed() -> list[str]:
    """Load each missing part of the PDAM demo; returns the parts loaded (idempotent). Each
    part commits on its own (the billing run commits slice by slice)."""
    loaded = []
    for name, is_present, load in PARTS:
        if is_present():
            continue
        if name == "bills":
            load(ACTOR)
        else:
            with transaction.atomic():
                load(ACTOR)
        loaded.append(name)
    if loaded:
        with transaction.atomic():
            audit.record(
                actor=ACTOR,
                action=AuditAction.DEMO_SEED,
                object_type="DEMO",
                object_id="pdam-v1",
                meta={"parts": loaded},
            )
    return loaded
