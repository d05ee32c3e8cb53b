"""A complaint taken at another office (intake at any branch, issue 16) tells the supervisors
of the customer's home branch in-app, once, in the intake's transaction; a complaint at the
customer's own branch tells nobody."""

from __future__ import annotations

import pytest

from amanah.cases.testing import complaint
from amanah.core import events
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.messaging import notices
from amanah.messaging.models import Message

pytestmark = pytest.mark.django_db


def test_it_is_a_synchronous_reaction_to_a_new_case():
    handlers = [h for _k, h in events.handlers_of("cases.case_created")]
    assert (notices.intake_elsewhere, False) in [(h.handle, h.deferred) for h in handlers]


def test_the_home_branch_supervisors_hear_of_a_complaint_taken_elsewhere(
    system, make_user, branch_a, branch_b
):
    receiving_agent = make_user(R.AGENT, branches=[branch_a])
    home_supervisors = [make_user(R.SUPERVISOR, branches=[branch_b]) for _ in range(2)]
    receiving_supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    home_agent = make_user(R.AGENT, branches=[branch_b])
    far = customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti Aminah Nasution", home_branch=branch_b, cif="CIF2000002"
        ),
    )
    case = complaint(receiving_agent, far, any_branch=True)
    sent = Message.objects.filter(source="CASE", source_id=str(case.pk), step="intake-elsewhere")
    assert set(sent.values_list("staff_user", flat=True)) == {u.pk for u in home_supervisors}
    assert set(sent.values_list("channel", flat=True)) == {"IN_APP"}
    notice = sent.first()
    assert case.case_no in notice.subject and str(branch_a) in notice.subject
    assert "Siti" not in notice.subject and "Siti" not in (notice.text or "")
    assert not sent.filter(staff_user__in=[receiving_supervisor, home_agent]).exists()


def test_a_complaint_at_the_customer_own_branch_tells_nobody(system, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    make_user(R.SUPERVISOR, branches=[branch_a])
    near = customer_create(
        actor=system,
        data=CustomerInput(full_name="Budi Santoso", home_branch=branch_a, cif="CIF2000003"),
    )
    case = complaint(agent, near, any_branch=True)
    assert not Message.objects.filter(source_id=str(case.pk), step="intake-elsewhere").exists()
