"""The bank's demo seed, as ``seed_demo`` loads it. Seeding takes seconds, so the demo is
seeded once for the module (``conftest.built_once_per_module``) and each test reads it or adds
to it inside its own savepoint, rolled back after it: no test sees another's writes. The
complaint history at dashboard size has a module of its own (``test_demo_complaints``)."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.conftest import built_once_per_module
from amanah.core.roles import RoleKey
from amanah.demo.services import DEMO_PASSWORD, demo_seed
from amanah.iam import services as iam
from amanah.iam.models import Branch, User


def _seed():
    # Agents take members at any hour: the desk test's order must not depend on the hour of
    # the run (the other tests hold at any hour, working hours on or off).
    with override_settings(FOLLOWUP_WORKING_HOURS=False):
        call_command("seed_demo")


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    yield from built_once_per_module(_seed, django_db_blocker, folder)


@pytest.fixture
def seeded(db, settings, _seeded):
    """The module's demo (seeded by ``seed_demo``), under this test's savepoint."""
    settings.FOLLOWUP_WORKING_HOURS = False


def test_demo_has_one_user_per_role_two_branches_and_is_idempotent(seeded):
    held = {role for u in User.objects.all() for role in u.role_keys()}
    assert held >= {str(r) for r in RoleKey if r != RoleKey.DATA_STEWARD}
    assert Branch.objects.count() >= 3
    agent, agent2 = User.objects.get(username="agent"), User.objects.get(username="agent2")
    assert agent.home_branch != agent2.home_branch
    count = User.objects.count()
    assert demo_seed() == []
    assert User.objects.count() == count
    assert AuditLog.objects.filter(action="DEMO_SEED").count() == 1
    assert AuditLog.objects.get(action="DEMO_SEED").meta == {
        "parts": [
            "staff",
            "customers",
            "cases",
            "generated customers",
            "message templates",
            "transactions",
            "merchants",
            "lead for B",
            "follow-up desk",
            "complaints",
            "routing",
            "field work orders",
        ]
    }
    assert verify_chain().ok


def test_demo_logins_work(seeded):
    assert iam.auth_login(username="agent", password=DEMO_PASSWORD).username == "agent"


def test_demo_customers_match_the_script(seeded):
    from amanah.consent.services import consent_states
    from amanah.customers.models import Customer

    a, b, c = (Customer.objects.get(identifiers__id_value=f"CIF100000{n}") for n in (1, 2, 3))
    assert consent_states(a)["MARKETING"] == "WITHDRAWN"
    assert (
        consent_states(b)["MARKETING"] == "GRANTED"
        and b.assignments.get(active=True).rm.username == "rm"
    )
    assert consent_states(c)["MARKETING"] == "GRANTED"
    fraud = c.cases.get()
    assert (fraud.category_id, fraud.status) == ("FRAUD_SCAM", "IN_PROGRESS")


def test_generated_customers_spread_over_the_branches_without_shadowing_the_script(
    seeded, settings
):
    from amanah.consent.models import ConsentState
    from amanah.customers.models import Customer
    from amanah.customers.names import normalize_name
    from amanah.customers.selectors import customer_search
    from amanah.demo.services import DESK_CUSTOMERS

    generated = Customer.objects.exclude(identifiers__id_value__startswith="CIF100000").exclude(
        full_name__in=[name for name, _phone in DESK_CUSTOMERS]
    )
    assert (
        settings.DEMO_GENERATED_CUSTOMERS - 5
        <= generated.count()
        <= settings.DEMO_GENERATED_CUSTOMERS
    )
    assert generated.values("home_branch").distinct().count() == Branch.objects.count()
    assert len({c.name_search for c in generated}) > generated.count() * 0.9
    granted = ConsentState.objects.filter(customer__in=generated, status="GRANTED").count()
    assert 0.5 < granted / generated.count() < 0.9
    # The script's searches still open A, B and C first.
    agent = User.objects.get(username="agent")
    agent.active_role = RoleKey.AGENT
    for name in ("Ahmad Fauzi Lubis", "Siti Aminah Nasution", "Budi Santoso Sitorus"):
        first = customer_search(actor=agent, query=name)[0].customer
        assert first.identifiers.filter(id_value__startswith="CIF100000").exists(), name
    assert not [c for c in generated if normalize_name(c.full_name) == "ahmad fauzi lubis"]


def test_demo_transactions_give_the_script_its_segments(seeded):
    from amanah.customers.models import Customer
    from amanah.insight.models import RfmScore, Transaction

    a, b, c = (Customer.objects.get(identifiers__id_value=f"CIF100000{n}") for n in (1, 2, 3))
    segments = {s.customer_id: s.segment for s in RfmScore.objects.filter(customer__in=[a, b, c])}
    assert (segments[a.pk], segments[b.pk], segments[c.pk]) == ("AT_RISK", "CHAMPION", "POTENTIAL")
    # Paid on the 25th or the 1st: this month's salary may still be to come.
    assert Transaction.objects.filter(customer=b, channel="PAYROLL").count() in (11, 12)
    assert Transaction.objects.filter(channel="QRIS").exclude(merchant_id="").exists()
    every = RfmScore.objects.values_list("segment", flat=True)
    assert {"LOST", "CHAMPION"} <= set(every)  # a dormant or unused account among them
    assert not Transaction.objects.filter(amount__lt=0).exists()


def test_the_demo_desk_goes_round_its_two_agents(seeded):
    """Seeded with working hours off (``_seed``): whatever the hour of the test run."""
    from amanah.followup.models import DeskAgent, Member

    agents = list(DeskAgent.objects.order_by("position").values_list("user__username", flat=True))
    assert agents == ["agent", "agent2"]
    held = Member.objects.order_by("id").values_list("current_agent__user__username", flat=True)
    assert list(held) == ["agent", "agent2", "agent", "agent2"]


def test_a_new_fraud_complaint_is_routed_to_an_agent_of_its_branch(seeded):
    """The demo's routing rule: FRAUD_SCAM goes at once to the least loaded agent covering the
    case's branch; another category still waits in the branch's queue."""
    from amanah.cases import services as cases
    from amanah.cases.models import RoutingRule
    from amanah.customers.models import Customer

    rule = RoutingRule.objects.get()
    assert (rule.category_id, rule.strategy, rule.active) == ("FRAUD_SCAM", "LEAST_LOADED", True)
    supervisor = User.objects.get(username="supervisor")
    supervisor.active_role = RoleKey.SUPERVISOR
    customer_a = Customer.objects.get(identifiers__id_value="CIF1000001")

    def complaint(category):
        return cases.case_create(
            actor=supervisor,
            data=cases.CaseInput(
                customer=customer_a,
                channel="CALL_CENTER",
                category_code=category,
                priority="HIGH",
                description="Nasabah ditelepon orang yang mengaku petugas bank dan diminta OTP.",
            ),
        )

    fraud = complaint("FRAUD_SCAM")
    assert fraud.assigned_to.username == "agent"  # MDN01's agent; agent2 covers PMS01 only
    assert complaint("TRX_FAIL").assigned_to is None
    assert demo_seed() == []  # the rule is not added twice
    assert RoutingRule.objects.count() == 1


def test_the_rm_is_recommended_to_follow_up_b_s_waiting_lead(seeded):
    """The demo script's Next Best Action step (docs/demo.md, step 7): B's mortgage lead, NEW
    for 5 days, makes LEAD_FOLLOW_UP eligible for B's RM (B's consent allows it) with its
    reason, on the RM's worklist too; accepting it makes the call task tied to that lead."""
    from amanah.customers.models import Customer
    from amanah.insight.nba.evaluate import evaluate
    from amanah.insight.nba.models import PortfolioRecommendation
    from amanah.insight.nba.services import nba_decide
    from amanah.sales.models import FollowUpTask, Lead

    rm = User.objects.get(username="rm")
    rm.active_role = RoleKey.RM
    b = Customer.objects.get(identifiers__id_value="CIF1000002")
    lead = Lead.objects.get(customer=b, status="NEW")
    assert (lead.assigned_to, lead.product_interest) == (rm, "KPR rumah tinggal")
    result = evaluate(b, rm)
    assert not result.blocked and "LEAD_FOLLOW_UP" not in result.ineligible
    (follow_up,) = [r for r in result.items if r.rule_code == "LEAD_FOLLOW_UP"]
    assert follow_up.reason_text == "Muncul karena: lead BARU belum ditindaklanjuti 5 hari"
    assert follow_up.related_entity_id == str(lead.pk)
    assert PortfolioRecommendation.objects.get(customer=b).shown == len(result.items)
    nba_decide(
        actor=rm,
        customer_id=b.pk,
        rule_code="LEAD_FOLLOW_UP",
        related_id=str(lead.pk),
        decision="ACCEPTED",
    )
    task = FollowUpTask.objects.get(customer=b, template="CALL")
    assert (task.lead, task.assigned_to, task.status) == (lead, rm, "OPEN")


def test_the_bank_demo_has_field_work_orders_from_the_loan_arrears_feed(seeded):
    """Issue 50, 6: the day's loan-arrears file imported through the batch import, the work
    orders the daily rule made from it a week ago, given to each branch's agent, and a few of
    the agent's results since — none for the script's customers."""
    from amanah.demo.fieldwork import BANK_RULE, LOAN_SOURCE
    from amanah.fieldops.models import CoordinateCorrection, LoanArrears, VisitResult, WorkOrder
    from amanah.integrations.models import ImportBatch

    batch = ImportBatch.objects.get(target=LOAN_SOURCE)
    assert batch.status == "DONE" and batch.created_rows == LoanArrears.objects.count() > 0
    orders = WorkOrder.objects.filter(source=LOAN_SOURCE)
    assert orders.exists()
    assert not orders.filter(days_past_due__lt=BANK_RULE.min_days).exists()
    assert not orders.filter(customer__identifiers__id_value__startswith="CIF100000").exists()
    agents = set(orders.exclude(agent=None).values_list("agent__username", "branch__code"))
    assert ("agent", "MDN01") in agents and agents <= {("agent", "MDN01"), ("agent2", "PMS01")}
    assert orders.filter(location_source="GEOCODED").exists()
    results = VisitResult.objects.filter(work_order__in=orders)
    assert results.exists() and set(results.values_list("status", flat=True)) == {"APPLIED"}
    assert set(results.values_list("agent__username", flat=True)) == {"agent"}
    if results.filter(outcome="ATK").exists():
        assert CoordinateCorrection.objects.filter(status="PROPOSED").exists()


def test_the_bank_demo_has_merchant_partners_where_its_customers_pay(seeded):
    """Issue 50, 6 (docs/merchants.md): the QRIS partners the demo's transactions pay at, with
    live promos, a few without a point or no longer partners, and the recommendation's
    approved WhatsApp template; B's "Promo Merchant" tab lists the nearest ones."""
    from amanah.customers.models import Customer
    from amanah.insight.merchants.models import Merchant
    from amanah.insight.merchants.selectors import suggestions_for
    from amanah.messaging.contract import approved_template

    partners = Merchant.objects.filter(code__startswith="QR-")
    assert partners.count() >= 80
    assert partners.filter(active=False).exists() and partners.filter(latitude=None).exists()
    assert partners.filter(active=True, promo_ends_on__isnull=False).count() > partners.count() / 2
    assert approved_template("insight.merchant_promo", "WHATSAPP") is not None
    rm = User.objects.get(username="rm")
    rm.active_role = RoleKey.RM
    b = Customer.objects.get(identifiers__id_value="CIF1000002")
    promo = suggestions_for(b, actor=rm)
    assert promo.location is not None and promo.rows, promo
    assert all(row.merchant.active and row.merchant.promo_text for row in promo.rows)
