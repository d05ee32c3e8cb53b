"""Demo data for seed 003 Bab 14.2: one user per role, two branches so scope can be seen.

Everything goes through the ordinary services as a labelled system actor, so the demo's own
setup shows up in the audit trail like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User

DEMO_PASSWORD = "Amanah#Demo2026"
# A fixed, published TOTP key for the demo's privileged users only (add it to an
# authenticator app). Real deployments enrol each user with a fresh key.
DEMO_TOTP_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

BRANCHES = [
    ("KP", "Kantor Pusat Medan", TimeZoneChoice.WIB),
    ("MDN01", "KC Medan Imam Bonjol", TimeZoneChoice.WIB),
    ("PMS01", "KC Pematangsiantar", TimeZoneChoice.WIB),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    home: str
    scope: tuple[str, ...]  # branch codes; empty means the whole institution
    email: str


USERS = [
    DemoUser(
        "direktur", "Ir. Hendra Siregar", (R.DIRECTOR,), "KP", (), "hendra.siregar@banksumut.co.id"
    ),
    DemoUser(
        "supervisor",
        "Rina Nasution, S.E.",
        (R.SUPERVISOR,),
        "MDN01",
        ("MDN01",),
        "rina.nasution@banksumut.co.id",
    ),
    DemoUser(
        "agent", "Budi Harahap", (R.AGENT,), "MDN01", ("MDN01",), "budi.harahap@banksumut.co.id"
    ),
    DemoUser(
        "agent2", "Sri Wahyuni Lubis", (R.AGENT,), "PMS01", ("PMS01",), "sri.lubis@banksumut.co.id"
    ),
    DemoUser("rm", "Dedi Pane", (R.RM,), "MDN01", ("MDN01",), "dedi.pane@banksumut.co.id"),
    DemoUser(
        "marketing",
        "Maya Simanjuntak",
        (R.MARKETING,),
        "KP",
        (),
        "maya.simanjuntak@banksumut.co.id",
    ),
    DemoUser(
        "compliance",
        "Yusuf Batubara, S.H.",
        (R.COMPLIANCE,),
        "KP",
        (),
        "yusuf.batubara@banksumut.co.id",
    ),
    DemoUser("admin", "Andi Ginting", (R.ADMIN,), "KP", (), "andi.ginting@banksumut.co.id"),
]


# Seed 003 Bab 14.2: A has withdrawn marketing consent, B has granted it (and sits in the RM's
# portfolio), C has granted it but an open FRAUD_SCAM case makes C ineligible (case issue).
SEED_CUSTOMERS = [
    (
        "A",
        "Ahmad Fauzi Lubis",
        date(1979, 3, 14),
        "M",
        "081262001001",
        "1271011403790001",
        "CIF1000001",
        "WITHDRAWN",
    ),
    (
        "B",
        "Hj. Siti Aminah Nasution, S.E.",
        date(1986, 8, 2),
        "F",
        "081370002002",
        "1271014208860002",
        "CIF1000002",
        "GRANTED",
    ),
    (
        "C",
        "Budi Santoso Sitorus",
        date(1990, 11, 25),
        "M",
        "082160003003",
        "1271012511900003",
        "CIF1000003",
        "GRANTED",
    ),
]


# Customer C left an e-mail address: replies and receipts to C go by e-mail (the others' by
# WhatsApp), so the demo shows both senders.
SEED_EMAILS = {"C": "budi.sitorus@example.com"}


def demo_is_loaded() -> bool:
    return User.objects.filter(username="admin").exists()


def _customers_loaded() -> bool:
    from amanah.customers.models import CustomerIdentifier

    return CustomerIdentifier.objects.filter(id_type="CIF", id_value=SEED_CUSTOMERS[0][6]).exists()


@transaction.atomic
def demo_seed() -> list[str]:
    """Load each part of the demo that is missing; returns the parts loaded (idempotent).

    Parts are checked one by one, so a demo database from an earlier version gains what later
    versions added (customers, cases …) without touching what is already there.
    """
    actor = SystemActor("system:demo")
    loaded = []
    for name, is_present, load in PARTS:
        if not is_present():
            load(actor)
            loaded.append(name)
    if loaded:
        audit.record(
            actor=actor,
            action=AuditAction.DEMO_SEED,
            object_type="DEMO",
            object_id="v2",
            meta={"parts": loaded},
        )
    return loaded


def _seed_staff(actor) -> None:
    branches = {
        code: iam.branch_save(actor=actor, code=code, name=name, timezone_name=tz)
        for code, name, tz in BRANCHES
    }
    for spec in USERS:
        staff_create(actor, spec, branches)


def staff_create(actor, spec: DemoUser, branches: dict) -> None:
    """One demo user (``spec``) with the demo password, scoped to its branches (by code; none
    means the whole institution), and the demo's TOTP device where its role needs MFA."""
    scopes = [iam.ScopeInput(branch=branches[c]) for c in spec.scope] or [
        iam.ScopeInput(branch=None)
    ]
    user = iam.user_create(
        actor=actor,
        username=spec.username,
        full_name=spec.full_name,
        email=spec.email,
        password=DEMO_PASSWORD,
        roles=list(spec.roles),
        scopes=scopes,
        home_branch=branches[spec.home],
    )
    if iam.mfa_required(user):
        TOTPDevice.objects.create(user=user, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)


def _seed_customers(actor) -> None:
    branches = {b.code: b for b in Branch.objects.all()}
    from amanah.consent.services import consent_change
    from amanah.customers.services import CustomerInput, customer_create, portfolio_assign

    agent = User.objects.get(username="agent")
    agent.active_role = R.AGENT
    for key, name, born, gender, phone, nik, cif, marketing in SEED_CUSTOMERS:
        customer = customer_create(
            actor=actor,
            data=CustomerInput(
                full_name=name,
                home_branch=branches["MDN01"],
                birth_date=born,
                gender=gender,
                phone=phone,
                email=SEED_EMAILS.get(key, ""),
                nik=nik,
                cif=cif,
                segment_code="PRIORITY" if key == "B" else "MASS",
                is_vip=key == "B",
                products={"has_savings": True, "has_mobile_banking": key != "A"},
            ),
        )
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
            reason="Pembukaan rekening",
        )
        if marketing == "WITHDRAWN":
            consent_change(
                actor=agent,
                customer=customer,
                consent_type="MARKETING",
                new_status="WITHDRAWN",
                channel="CALL_CENTER",
                verification_method="PHONE_OTP",
                reason="Nasabah tidak ingin menerima penawaran",
            )
        if key == "B":
            portfolio_assign(actor=actor, customer=customer, rm=User.objects.get(username="rm"))


def _cases_loaded() -> bool:
    from amanah.cases.models import Case

    return Case.objects.filter(customer__identifiers__id_value=SEED_CUSTOMERS[2][6]).exists()


def _seed_cases(actor) -> None:
    """Customer C has a FRAUD_SCAM case in progress, handled by the agent (seed 003 Bab 14.2)."""
    from amanah.cases import services as cases
    from amanah.customers.models import Customer

    agent = User.objects.get(username="agent")
    agent.active_role = R.AGENT
    customer_c = Customer.objects.get(identifiers__id_value=SEED_CUSTOMERS[2][6])
    case = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer_c,
            channel="CALL_CENTER",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            product="Tabungan",
            description="Nasabah menerima telepon mengaku petugas bank, diminta kode OTP; "
            "dua transaksi transfer tidak dikenal pada pukul 21:14 dan 21:16.",
        ),
    )
    cases.case_change_status(
        actor=agent, case=case, to_status="IN_PROGRESS", note="Kartu diblokir sementara."
    )


GENERATED_SEED = 20261122


GENERATOR = SystemActor("system:demo-generated")


def _generated_loaded() -> bool:
    from amanah.audit.models import AuditLog

    return AuditLog.objects.filter(actor_username=GENERATOR.username).exists()


def _seed_generated_customers(actor) -> None:
    """A few thousand customers with realistic Indonesian names over the branches (seed 003
    Bab 14.2), through the same service as the UI; about 70 % grant marketing consent.

    Names that read as customer A, B or C are left out, so the script's searches stay exact.
    Written as GENERATOR rather than ``actor``: its label in the audit trail is how the next
    start knows this part is loaded."""
    from amanah.consent.services import consent_change
    from amanah.customers.models import CustomerIdentifier
    from amanah.customers.names import normalize_name
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.demo.namegen import demo_customers

    script_names = {normalize_name(c[1]) for c in SEED_CUSTOMERS}
    taken = set(CustomerIdentifier.objects.values_list("id_value", flat=True))
    branches = list(Branch.objects.order_by("code"))
    rows = demo_customers(settings.DEMO_GENERATED_CUSTOMERS, branches, seed=GENERATED_SEED)
    for n, row in enumerate(rows):
        identifiers = {row["nik"], row["cif"], *row["account_numbers"]}
        if normalize_name(row["full_name"]) in script_names or identifiers & taken:
            continue
        taken |= identifiers
        customer = customer_create(actor=GENERATOR, data=CustomerInput(**row))
        if n % 10 < 7:
            consent_change(
                actor=GENERATOR,
                customer=customer,
                consent_type="MARKETING",
                new_status="GRANTED",
                channel="BRANCH",
                verification_method="IN_PERSON",
                reason="Pembukaan rekening",
            )


def _templates_loaded() -> bool:
    """Every seeded template is there (a demo from before a seed was added gains it)."""
    from amanah.messaging.models import MessageTemplate
    from amanah.messaging.template_seeds import SEEDS

    present = set(MessageTemplate.objects.values_list("key", "channel"))
    return all((seed["key"], seed["channel"]) in present for seed in SEEDS)


def _seed_message_templates(actor) -> None:
    """The message templates senders use (receipt, status update, the campaign offer on email,
    WhatsApp and SMS, SLA digest): written by the marketing user, offers approved by
    compliance (four eyes); the missing ones only."""
    from amanah.messaging.template_seeds import seed_templates

    author, approver = (User.objects.get(username=name) for name in ("marketing", "compliance"))
    author.active_role, approver.active_role = R.MARKETING, R.COMPLIANCE
    seed_templates(author=author, approver=approver)


# The script's customers (by CIF): B a salaried heavy user (CHAMPION), A fading away (AT_RISK),
# C occasional but recent (POTENTIAL); (profile, monthly salary).
SCRIPT_PROFILES = {
    "CIF1000001": ("fading", 0),
    "CIF1000002": ("salaried", 25_000_000),
    "CIF1000003": ("occasional", 0),
}


def _transactions_loaded() -> bool:
    from amanah.insight.models import Transaction

    return Transaction.objects.filter(reference__startswith="DEMO-").exists()


def _seed_transactions(actor) -> None:
    """Twelve months of transactions for every customer (B a salaried heavy user, A fading
    away, C occasional; the generated ones by profile, a share of them dormant), through the
    feed's service, then one RFM run so the 360 shows every customer's value at once."""
    from django.utils import timezone

    from amanah.customers.models import Customer, CustomerIdentifier
    from amanah.demo.transactions import demo_transactions
    from amanah.insight.nba.services import nba_portfolio_refresh
    from amanah.insight.services import MAX_BATCH, rfm_run_compute, transactions_record

    customers = list(
        Customer.objects.filter(merged_into__isnull=True)
        .select_related("home_branch")
        .order_by("created_at", "id")
    )
    script = {
        pk: SCRIPT_PROFILES[cif]
        for pk, cif in CustomerIdentifier.objects.filter(
            id_type="CIF", id_value__in=list(SCRIPT_PROFILES)
        ).values_list("customer_id", "id_value")
    }
    batch: list = []
    for _customer, rows in demo_transactions(
        customers, today=timezone.localdate(), seed=GENERATED_SEED, script=script
    ):
        batch.extend(rows)
        if len(batch) >= MAX_BATCH // 2:
            transactions_record(actor=actor, rows=batch)
            batch = []
    if batch:
        transactions_record(actor=actor, rows=batch)
    rfm_run_compute(actor=actor, trigger="MANUAL")
    # The RM's worklist as the nightly run leaves it (the menu's badge, "Rekomendasi").
    nba_portfolio_refresh(actor=actor)


# Customer B asked about a mortgage at the branch a few days ago and nobody has called back: a
# NEW lead older than 3 days, so the RM's Next Best Action for B is "Follow up lead segera"
# (the seed rule LEAD_FOLLOW_UP, a CALL), which the demo script accepts (docs/demo.md, step 7).
B_LEAD_INTEREST = "KPR rumah tinggal"
B_LEAD_NOTE = "Nasabah menanyakan simulasi KPR di cabang; minta dihubungi RM."
B_LEAD_AGE_DAYS = 5


def _b_lead_loaded() -> bool:
    from amanah.sales.models import Lead

    return Lead.objects.filter(
        customer__identifiers__id_value=SEED_CUSTOMERS[1][6], product_interest=B_LEAD_INTEREST
    ).exists()


def _seed_b_lead(actor) -> None:
    """B's open lead, taken by the agent at the branch ``B_LEAD_AGE_DAYS`` days ago and handed
    to B's RM, through sales' ``lead_create`` under the demo clock (its audit row carries that
    moment); the lead's own ``created_at`` (a field default the clock cannot reach) is given the
    same moment afterwards, as the complaint history's activity lines are. Then the RM's
    worklist is rebuilt as the nightly run would (only portfolio customers: quick)."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.customers.models import Customer
    from amanah.demo.complaints import demo_clock
    from amanah.insight.nba.services import nba_portfolio_refresh
    from amanah.sales.models import Lead
    from amanah.sales.services import lead_create

    agent = User.objects.get(username="agent")
    agent.active_role = R.AGENT
    customer_b = Customer.objects.get(identifiers__id_value=SEED_CUSTOMERS[1][6])
    moment = timezone.now() - timedelta(days=B_LEAD_AGE_DAYS)
    with demo_clock(moment):
        lead = lead_create(
            actor=agent,
            customer=customer_b,
            source_type="MANUAL",
            product_interest=B_LEAD_INTEREST,
            note=B_LEAD_NOTE,
        )
    Lead.objects.filter(pk=lead.pk).update(created_at=moment, updated_at=moment)
    nba_portfolio_refresh(actor=actor)


# The follow-up desk (seed 004): new savings accounts without their first deposit.
DESK_CUSTOMERS = [
    ("Rina Marpaung", "081370104001"),
    ("Fajar Nainggolan", "081370104002"),
    ("Lestari Situmorang", "081370104003"),
    ("Hendra Tarigan", "081370104004"),
]


def _desk_loaded() -> bool:
    from amanah.followup.models import DeskAgent

    return DeskAgent.objects.exists()


def _seed_desk(actor) -> None:
    """The follow-up desk: agent 1 the agent, agent 2 the second agent; four new savings
    customers (marketing consent given at account opening) enrolled to go round them. Outside
    working hours they wait for the first agent at work (``FOLLOWUP_WORKING_HOURS``)."""
    from amanah.consent.services import consent_change
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.followup import services as desk
    from amanah.followup.models import EntryReason

    for username in ("agent", "agent2"):
        desk.desk_agent_add(actor=actor, user=User.objects.get(username=username), capacity=50)
    agent = User.objects.get(username="agent")
    agent.active_role = R.AGENT
    branch = Branch.objects.get(code="MDN01")
    for name, phone in DESK_CUSTOMERS:
        customer = customer_create(
            actor=actor,
            data=CustomerInput(
                full_name=name, home_branch=branch, phone=phone, products={"has_savings": True}
            ),
        )
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
            reason="Pembukaan rekening",
        )
        desk.member_enrol(
            actor=actor,
            customer=customer,
            entry_reason=EntryReason.NEW_ACCOUNT,
            deposit_target="500000",
        )


ROUTING_RULE_NAME = "Penipuan / scam → agen cabang kasus"


def _routing_loaded() -> bool:
    from amanah.cases.models import RoutingRule

    return RoutingRule.objects.filter(name=ROUTING_RULE_NAME).exists()


def _seed_routing(actor) -> None:
    """A routing rule (cases.routing): every new FRAUD_SCAM complaint goes at once to the
    least loaded agent covering the case's branch — Budi Harahap at MDN01, Sri Wahyuni Lubis at
    PMS01 (a member not covering the case's branch is passed over); 20 open cases each. Added
    after the seeded cases, so customer C's case keeps the agent who took it."""
    from amanah.cases import routing

    routing.routing_rule_save(
        actor=actor,
        data=routing.RuleInput(
            name=ROUTING_RULE_NAME,
            order=10,
            category_code="FRAUD_SCAM",
            strategy="LEAST_LOADED",
            default_capacity=20,
            members=tuple(
                routing.MemberInput(User.objects.get(username=u).pk) for u in ("agent", "agent2")
            ),
        ),
    )


def _complaints_loaded() -> bool:
    from amanah.audit.models import AuditLog
    from amanah.demo.complaints import COMPLAINTS

    return AuditLog.objects.filter(actor_username=COMPLAINTS.username).exists()


def _seed_complaints(actor) -> None:
    """Three months of complaints among the generated customers, played through the cases
    services under the demo clock (``demo.complaints``, written as its ``COMPLAINTS`` actor,
    by whose label the next start knows this part is loaded); then the dashboards' summary is
    refreshed, so the director's page has its figures at once."""
    from amanah.customers.models import Customer
    from amanah.dashboards.refresh import dashboards_refresh
    from amanah.demo.complaints import seed_complaints

    customers = list(
        Customer.objects.filter(merged_into__isnull=True, cases__isnull=True)
        .exclude(identifiers__id_value__in=list(SCRIPT_PROFILES))
        .exclude(full_name__in=[name for name, _phone in DESK_CUSTOMERS])
        .select_related("home_branch")
        .order_by("created_at", "id")
    )
    seed_complaints(customers)
    dashboards_refresh()


def _merchants_loaded() -> bool:
    from amanah.insight.merchants.models import Merchant

    return Merchant.objects.filter(code__startswith="QR-").exists()


def _seed_merchants(actor) -> None:
    """The QRIS merchant partners where the demo's customers pay (``demo.merchants``); before
    B's lead, whose part rebuilds the RM's worklist with them."""
    from amanah.demo.merchants import seed_merchants

    seed_merchants(actor)


def _field_loaded() -> bool:
    from amanah.fieldops.models import LoanArrears

    return LoanArrears.objects.exists()


def _seed_field(actor) -> None:
    """A week of field collection from the loan-arrears feed (``demo.fieldwork``); the
    script's customers are left as the script shows them."""
    from amanah.demo.fieldwork import seed_bank_fieldwork

    seed_bank_fieldwork(actor, exclude_cifs=[row[6] for row in SEED_CUSTOMERS])


# Each part: (name, is it there already?, load it). Later issues append theirs.
PARTS = [
    ("staff", demo_is_loaded, _seed_staff),
    ("customers", _customers_loaded, _seed_customers),
    ("cases", _cases_loaded, _seed_cases),
    ("generated customers", _generated_loaded, _seed_generated_customers),
    ("message templates", _templates_loaded, _seed_message_templates),
    ("transactions", _transactions_loaded, _seed_transactions),
    ("merchants", _merchants_loaded, _seed_merchants),
    ("lead for B", _b_lead_loaded, _seed_b_lead),
    ("follow-up desk", _desk_loaded, _seed_desk),
    ("complaints", _complaints_loaded, _seed_complaints),
    ("routing", _routing_loaded, _seed_routing),
    ("field work orders", _field_loaded, _seed_field),
]
