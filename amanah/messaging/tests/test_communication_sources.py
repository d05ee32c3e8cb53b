"""The Komunikasi tab names a message's source: the campaign's name (marketing's resolver)
and the case's number (``cases.contract.case_numbers``, only for cases the actor may open),
through ``messaging.sources`` — one resolver call per source per page, never one per row."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.messaging import selectors
from amanah.messaging.models import Message
from amanah.messaging.sources import labels_for, register_source_labels, scoped_sources
from amanah.messaging.sources import source_labels as registry
from amanah.messaging.tests.test_communication_tab import make_customer, make_message


def _case(agent, customer):
    return cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
        ),
    )


def _from(message: Message, source: str, source_id: str) -> Message:
    Message.objects.filter(pk=message.pk).update(
        source=source, source_id=source_id, purpose="SERVICE" if source == "CASE" else "OFFER"
    )
    return message


def test_the_campaigns_name_comes_from_one_call_per_page(make_user, branch_a):
    customer = make_customer(branch_a)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for n, campaign_id in enumerate(ids * 2):
        _from(make_message(customer, n), "CAMPAIGN", campaign_id)
    calls = []

    def names(wanted):
        calls.append(list(wanted))
        return {i: f"Tabungan Emas {ids.index(i)}" for i in wanted}

    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with registry.temporarily_empty(), scoped_sources.temporarily_empty():
        register_source_labels("CAMPAIGN", names)
        page = sign_in(Client(), supervisor).get(f"/messaging/customers/{customer.pk}/")
    assert calls == [sorted(ids)]
    html = page.content.decode()
    assert html.count("Kampanye: Tabungan Emas") == 6 and "Tabungan Emas 2" in html


def test_the_case_number_shows_only_to_whoever_may_open_the_case(make_user, branch_a):
    customer = make_customer(branch_a)
    owner = make_user(R.AGENT, branches=[branch_a])
    other_agent = make_user(R.AGENT, branches=[branch_a])
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    case = _case(owner, customer)
    _from(make_message(customer, 0), "CASE", str(case.pk))
    _from(make_message(customer, 1), "CASE", "not-a-case")

    def shown(actor):
        page = selectors.customer_messages(actor=actor, customer=customer)
        return sorted(m.source_label for m in page.object_list)

    assert shown(owner) == ["", case.case_no]
    assert shown(supervisor) == ["", case.case_no]
    assert shown(other_agent) == ["", ""]  # an agent sees their own cases only
    html = sign_in(Client(), supervisor).get(f"/messaging/customers/{customer.pk}/")
    assert f"Kasus: {case.case_no}" in html.content.decode()
    assert labels_for("CASE", [str(case.pk)]) == {}  # no actor, no number


def test_labels_cost_the_same_queries_for_one_row_or_many(make_user, branch_a):
    customer = make_customer(branch_a)
    owner = make_user(R.AGENT, branches=[branch_a])
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            list(selectors.customer_messages(actor=supervisor, customer=customer).object_list)
        return len(captured)

    _from(make_message(customer, 0), "CASE", str(_case(owner, customer).pk))
    _from(make_message(customer, 1), "CAMPAIGN", str(uuid.uuid4()))
    queries()  # the actor's grants, cached on the user
    few = queries()
    for n in range(2, 12):
        _from(make_message(customer, n), "CASE", str(_case(owner, customer).pk))
        _from(make_message(customer, n + 20), "CAMPAIGN", str(uuid.uuid4()))
    assert queries() == few
