"""The supervisor's queue (issue 16): filters mine / unassigned / team, bulk assign with one
audit row per case, and saved filters of one's own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity, SavedQueueFilter
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R


@pytest.fixture
def three(open_case, supervisor, agent):
    """Three open cases: one the supervisor's, one the agent's, one nobody's."""
    mine, theirs, nobodys = open_case(), open_case(), open_case()
    cases.case_assign(actor=supervisor, case=mine, assignee=supervisor)
    cases.case_assign(actor=supervisor, case=theirs, assignee=agent)
    return {"mine": mine, "team": theirs, "unassigned": nobodys}


def _numbers(page) -> set[str]:
    html = page.content.decode()
    html = html[html.index('data-testid="queue"') :]
    return {no for no in __import__("re").findall(r"PGD-\d{4}-\d{6}", html)}


@pytest.mark.parametrize("who", ["mine", "team", "unassigned"])
def test_the_queue_filters_by_whose_cases(three, supervisor, who):
    page = sign_in(Client(), supervisor).get(reverse("cases:queue"), {"who": who})
    assert page.status_code == 200
    assert _numbers(page) == {three[who].case_no}


def test_team_means_staff_of_my_branches_and_their_routing_teams_not_anyone_else(
    three, supervisor, agent, make_user, branch_a, branch_b, system
):
    """A case of the supervisor's branch handled by someone of another branch is not "team"
    until that person joins a routing rule of the supervisor's branch."""
    from amanah.cases import routing

    helper = make_user(R.AGENT, branches=[branch_b, branch_a], username="bantu")  # home: B
    handled_far = three["unassigned"]
    cases.case_assign(actor=supervisor, case=handled_far, assignee=helper)
    client = sign_in(Client(), supervisor)
    team = _numbers(client.get(reverse("cases:queue"), {"who": "team"}))
    assert team == {three["team"].case_no}  # the agent's, not the other branch's helper's
    routing.routing_rule_save(
        actor=system,
        data=routing.RuleInput(
            name="Tim Medan",
            branch_code=branch_a.code,
            members=(routing.MemberInput(agent.pk), routing.MemberInput(helper.pk)),
        ),
    )
    team = _numbers(client.get(reverse("cases:queue"), {"who": "team"}))
    assert team == {three["team"].case_no, handled_far.case_no}
    assert three["mine"].case_no not in team  # never one's own
    outsider = make_user(R.SUPERVISOR, branches=[branch_b])
    assert not _numbers(sign_in(Client(), outsider).get(reverse("cases:queue"), {"who": "team"}))


def test_everyone_and_hostile_filters(three, supervisor):
    client = sign_in(Client(), supervisor)
    assert _numbers(client.get(reverse("cases:queue"))) == {c.case_no for c in three.values()}
    for bad in ({"who": "others"}, {"who": "mine\x00"}, {"who": "x" * 1000}):
        response = client.get(reverse("cases:queue"), bad)
        assert response.status_code == 400
    page = client.get(reverse("cases:queue"), {"number": three["team"].case_no.lower()})
    assert _numbers(page) == {three["team"].case_no}


def test_bulk_assign_writes_one_audit_row_and_log_line_per_case(
    three, supervisor, make_user, branch_a
):
    other = make_user(R.AGENT, branches=[branch_a], full_name="Rina Agen")
    ids = [str(c.pk) for c in three.values()]
    before = AuditLog.objects.filter(action="ASSIGN_CASE").count()
    client = sign_in(Client(), supervisor)
    response = client.post(
        reverse("cases:queue_assign"),
        {"assignee": str(other.pk), "case_ids": ids, "back": "who=unassigned"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("/cases/queue/?who=unassigned")
    assert "3 kasus ditugaskan ke Rina Agen" in response.content.decode()
    assert Case.objects.filter(assigned_to=other).count() == 3
    rows = AuditLog.objects.filter(action="ASSIGN_CASE").order_by("id")[before:]
    assert sorted(r.object_id for r in rows) == sorted(ids)
    assert {r.meta["to"] for r in rows} == {other.username}
    lines = CaseActivity.objects.filter(activity_type="ASSIGN", meta__to=other.username)
    assert lines.count() == 3


def test_bulk_assign_refuses_cases_one_by_one_and_keeps_the_others(
    three, supervisor, make_user, branch_a, branch_b, open_case, agent
):
    elsewhere = make_user(R.AGENT, branches=[branch_b])
    result = cases.case_assign_many(
        actor=supervisor, case_ids=[c.pk for c in three.values()], assignee=elsewhere
    )
    assert result.assigned == 0 and len(result.refused) == 3  # not of the cases' branch

    done = cases.case_final_response(
        actor=agent, case=three["team"], text="Dana sudah dikembalikan ke rekening.",
        resolution_code="REFUND",
    )  # fmt: skip
    result = cases.case_assign_many(
        actor=supervisor,
        case_ids=[three["unassigned"].pk, done.pk, "00000000-0000-0000-0000-000000000000", "x"],
        assignee=agent,
    )
    assert result.assigned == 1
    assert done.case_no in result.refused and "00000000" in result.refused
    assert Case.objects.get(pk=three["unassigned"].pk).assigned_to == agent


def test_bulk_assign_limits_and_permissions(three, supervisor, agent):
    with pytest.raises(ServiceError) as none:
        cases.case_assign_many(actor=supervisor, case_ids=[], assignee=agent)
    assert none.value.code == "no_cases"
    import uuid

    with pytest.raises(ServiceError) as many:
        cases.case_assign_many(
            actor=supervisor, case_ids=[uuid.uuid4() for _ in range(101)], assignee=agent
        )
    assert many.value.code == "too_many_cases"
    client = sign_in(Client(), agent)
    url = reverse("cases:queue_assign")
    assert (
        client.post(
            url, {"assignee": str(agent.pk), "case_ids": [str(three["mine"].pk)]}
        ).status_code
        == 403
    )
    client = sign_in(Client(), supervisor)
    for data in (
        {"assignee": "nobody", "case_ids": [str(three["mine"].pk)]},
        {"assignee": str(agent.pk), "case_ids": ["\x00"]},
        {"assignee": str(agent.pk)},
        {"assignee": str(agent.pk), "case_ids": [str(three["mine"].pk)], "back": "https://evil"},
    ):
        response = client.post(url, data)
        assert response.status_code in (303, 400)  # refused and flashed; a NUL byte: 400
        if response.status_code == 303:
            assert response["Location"].startswith("/cases/queue/")
    assert client.get(url).status_code == 405


def test_saved_filters_are_ones_own(three, supervisor, make_user, branch_a):
    client = sign_in(Client(), supervisor)
    response = client.post(
        reverse("cases:saved_filter_save"),
        {"name": "Belum ditangani", "who": "unassigned", "priority": "MEDIUM"},
    )
    assert response.status_code == 303
    saved = SavedQueueFilter.objects.get(user=supervisor)
    assert saved.query == {"who": "unassigned", "priority": "MEDIUM"}
    page = client.get(reverse("cases:queue")).content.decode()
    assert "Belum ditangani" in page and "who=unassigned" in page

    # the same name replaces; a bad filter or name is refused without a 5xx
    client.post(reverse("cases:saved_filter_save"), {"name": "Belum ditangani", "who": "mine"})
    assert SavedQueueFilter.objects.get(user=supervisor).query == {"who": "mine"}
    for bad in (
        {"name": "", "who": "mine"},
        {"name": "x" * 61, "who": "mine"},
        {"name": "a\x00b", "who": "mine"},
        {"name": "Aneh", "who": "others"},
        {"name": "Aneh", "priority": "URGENT!"},
    ):
        assert client.post(reverse("cases:saved_filter_save"), bad).status_code in (303, 400)
    assert SavedQueueFilter.objects.filter(user=supervisor).count() == 1

    colleague = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    assert "Belum ditangani" not in colleague.get(reverse("cases:queue")).content.decode()
    delete = reverse("cases:saved_filter_delete", args=[saved.pk])
    assert colleague.post(delete).status_code == 404
    assert client.post(delete).status_code == 303
    assert not SavedQueueFilter.objects.exists()
    assert client.post(delete).status_code == 404


def test_at_most_twenty_saved_filters(supervisor):
    for n in range(20):
        cases.saved_filter_save(actor=supervisor, name=f"F{n}", query={"who": "mine"})
    with pytest.raises(ServiceError) as full:
        cases.saved_filter_save(actor=supervisor, name="F20", query={"who": "mine"})
    assert full.value.code == "too_many_filters"
    cases.saved_filter_save(actor=supervisor, name="F3", query={"who": "team"})  # replaces


def test_the_queue_and_the_case_page_speak_english(three, supervisor, agent):
    from django.utils import translation

    client = sign_in(Client(), supervisor)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        queue = client.get(reverse("cases:queue")).content.decode()
        page = client.get(reverse("cases:detail", args=[three["team"].pk])).content.decode()
    assert "Assign the ticked cases" in queue and "Unassigned" in queue and "Handling" in queue
    assert "Final response and resolution" in page and "Internal note" in page
    assert "— choose a resolution code —" in page and "Catatan internal" not in page
