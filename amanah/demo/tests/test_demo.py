from django.core.management import call_command

from amanah.audit.models import AuditLog
from amanah.audit.services import verify_chain
from amanah.core.roles import RoleKey
from amanah.demo.services import DEMO_PASSWORD, demo_seed
from amanah.iam import services as iam
from amanah.iam.models import Branch, User


def test_demo_has_one_user_per_role_two_branches_and_is_idempotent(db):
    call_command("seed_demo")
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
        "parts": ["staff", "customers", "cases"]
    }
    assert verify_chain().ok


def test_demo_logins_work(db, client):
    demo_seed()
    assert iam.auth_login(username="agent", password=DEMO_PASSWORD).username == "agent"


def test_demo_customers_match_the_script(db):
    from amanah.consent.services import consent_states
    from amanah.customers.models import Customer

    demo_seed()
    a, b, c = (Customer.objects.get(identifiers__id_value=f"CIF100000{n}") for n in (1, 2, 3))
    assert consent_states(a)["MARKETING"] == "WITHDRAWN"
    assert (
        consent_states(b)["MARKETING"] == "GRANTED"
        and b.assignments.get(active=True).rm.username == "rm"
    )
    assert consent_states(c)["MARKETING"] == "GRANTED"
    fraud = c.cases.get()
    assert (fraud.category_id, fraud.status) == ("FRAUD_SCAM", "IN_PROGRESS")
