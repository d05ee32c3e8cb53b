"""Routing rules and automatic assignment of new complaints (``cases.routing``, issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.calendars.contract import AbsenceKind, staff_absence_record
from amanah.cases import routing
from amanah.cases import services as cases
from amanah.cases.models import ActivityType, Case, RoutingRule
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.notifications.models import Notification


@pytest.fixture
def agents(make_user, branch_a):
    return [make_user(R.AGENT, branches=[branch_a], username=f"rr{n}") for n in range(1, 4)]


@pytest.fixture
def rule(system):
    """rule(agents, **fields) — a rule through the service, its members in that order."""

    def make(members, *, capacity=20, **fields):
        data = routing.RuleInput(
            name=fields.pop("name", "Aturan uji"),
            members=tuple(routing.MemberInput(u.pk, capacity) for u in members),
            **fields,
        )
        return routing.routing_rule_save(actor=system, data=data)

    return make


def assignees(cases_made) -> list[str]:
    return [Case.objects.get(pk=c.pk).assigned_to.username for c in cases_made]


def test_no_rule_leaves_the_case_unassigned(open_case):
    case = open_case()
    assert case.assigned_to is None
    assert not case.activities.filter(activity_type=ActivityType.ASSIGN).exists()


def test_round_robin_wraps_and_logs_notifies_and_audits_each_assignment(open_case, agents, rule):
    made_rule = rule(agents)
    made = [open_case() for _ in range(4)]
    assert assignees(made) == ["rr1", "rr2", "rr3", "rr1"]
    made_rule.refresh_from_db()
    assert made_rule.last_position == 1
    first = made[0]
    line = first.activities.get(activity_type=ActivityType.ASSIGN)
    assert line.actor_label == routing.ROUTER.username
    assert line.meta == {
        "from": None,
        "to": "rr1",
        "routing_rule": made_rule.pk,
        "strategy": "ROUND_ROBIN",
    }
    assert Notification.objects.filter(user=agents[0], url=f"/cases/{first.pk}/").exists()
    trail = list(
        AuditLog.objects.filter(object_id=str(first.pk))
        .order_by("id")
        .values_list("action", "actor_username")
    )
    creator = first.created_by.username
    assert trail == [("CREATE_CASE", creator), ("ASSIGN_CASE", routing.ROUTER.username)]


def test_first_matching_rule_by_order_wins(open_case, agents, rule, branch_b, make_user):
    rule([agents[2]], order=50, name="Umum")  # matches everything
    rule([agents[1]], order=10, category_code="TRX_FAIL", priority="HIGH", name="Transaksi")
    elsewhere = make_user(R.AGENT, branches=[branch_b])
    rule([elsewhere], order=5, branch_code=branch_b.code, name="Cabang lain")  # not this one
    rule([agents[0]], order=1, channel="EMAIL", name="Email")  # not this channel
    assert assignees([open_case(priority="HIGH")]) == ["rr2"]
    assert assignees([open_case(priority="LOW")]) == ["rr3"]  # the specific rule does not match
    assert assignees([open_case(category="CARD_ATM", priority="HIGH")]) == ["rr3"]


def test_an_inactive_rule_is_passed_over(open_case, agents, rule, system):
    first = rule([agents[0]], order=1)
    rule([agents[1]], order=2)
    routing.routing_rule_set_active(actor=system, rule_id=first.pk, active=False)
    assert assignees([open_case()]) == ["rr2"]


def test_a_rule_nobody_can_take_leaves_the_case_unassigned(open_case, agents, rule, system):
    rule(agents[:1], capacity=1)
    assert assignees([open_case()]) == ["rr1"]
    assert open_case().assigned_to is None  # rr1 is full: waits in the branch queue


def test_round_robin_skips_agents_away_and_at_capacity(open_case, agents, rule, system):
    rule(agents, capacity=2)
    now = timezone.now()
    staff_absence_record(
        actor=system,
        user=agents[1],
        kind=AbsenceKind.LEAVE,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    made = [open_case() for _ in range(4)]
    # rr2 is on leave; rr1 and rr3 take turns until both hold their capacity of two.
    assert assignees(made) == ["rr1", "rr3", "rr1", "rr3"]
    assert open_case().assigned_to is None


def test_each_member_has_their_own_capacity_or_the_rule_default(open_case, agents, system):
    routing.routing_rule_save(
        actor=system,
        data=routing.RuleInput(
            name="Per agen",
            default_capacity=1,
            members=(
                routing.MemberInput(agents[0].pk),  # the rule's default: one case
                routing.MemberInput(agents[1].pk, 3),  # their own: three
            ),
        ),
    )
    made = [open_case() for _ in range(4)]
    # rr1 is full after one; rr2 takes the rest up to their own three.
    assert assignees(made) == ["rr1", "rr2", "rr2", "rr2"]
    assert open_case().assigned_to is None
    loads = routing.workloads([agents[0].pk, agents[1].pk, agents[2].pk])
    assert (loads[agents[0].pk].open_cases, loads[agents[0].pk].capacity) == (1, 1)
    assert (loads[agents[1].pk].open_cases, loads[agents[1].pk].capacity) == (3, 3)
    assert loads[agents[0].pk].full and loads[agents[1].pk].full
    assert loads[agents[2].pk].capacity is None and not loads[agents[2].pk].full  # in no rule


def test_an_agent_in_two_rules_has_the_lower_capacity(agents, system):
    for name, capacity in [("A", 5), ("B", 2)]:
        routing.routing_rule_save(
            actor=system,
            data=routing.RuleInput(
                name=name, members=(routing.MemberInput(agents[0].pk, capacity),)
            ),
        )
    assert routing.workloads([agents[0].pk])[agents[0].pk].capacity == 2


def test_a_capacity_change_per_member_is_audited(agents, rule, system):
    made = rule(agents[:2])
    routing.routing_rule_save(
        actor=system,
        rule_id=made.pk,
        data=routing.RuleInput(
            name=made.name,
            default_capacity=7,
            members=(routing.MemberInput(agents[0].pk), routing.MemberInput(agents[1].pk, 4)),
        ),
    )
    row = AuditLog.objects.filter(object_type="cases.RoutingRule", action="CHANGE_WORKFLOW").latest(
        "id"
    )
    assert row.meta["default_capacity"] == 7
    assert row.meta["capacities"] == {"rr2": 4}
    made.refresh_from_db()
    assert [m.effective_capacity for m in made.members.all()] == [7, 4]


def test_an_agent_outside_the_case_branch_or_inactive_is_skipped(
    open_case, agents, rule, make_user, branch_b, system
):
    elsewhere = make_user(R.AGENT, branches=[branch_b], username="rrb")
    rule([elsewhere, agents[0]])  # no branch on the rule: members of any branch
    made = [open_case() for _ in range(2)]
    assert assignees(made) == ["rr1", "rr1"]  # rrb cannot take a case of branch A
    agents[0].is_active = False
    agents[0].save(update_fields=["is_active"])
    assert open_case().assigned_to is None


def test_least_loaded_gives_to_the_emptiest_and_ties_take_turns(
    open_case, agents, rule, supervisor
):
    busy = [open_case() for _ in range(2)]
    for case in busy:  # rr1 already holds two open cases
        cases.case_assign(actor=supervisor, case=case, assignee=agents[0])
    rule(agents, strategy="LEAST_LOADED")
    made = [open_case() for _ in range(5)]
    assert assignees(made) == ["rr2", "rr3", "rr2", "rr3", "rr1"]


def test_closed_cases_do_not_count_as_load(open_case, agents, rule, supervisor):
    old = open_case()
    cases.case_assign(actor=supervisor, case=old, assignee=agents[0])
    Case.objects.filter(pk=old.pk).update(status="CLOSED", final_response="x" * 30)
    rule(agents[:2], capacity=1, strategy="LEAST_LOADED")
    assert assignees([open_case(), open_case()]) == ["rr1", "rr2"]


# --------------------------------------------------------------------------- rule changes


def test_rule_changes_are_audited_change_workflow(agents, rule, system):
    made = rule(agents, name="Semua")
    routing.routing_rule_save(
        actor=system,
        rule_id=made.pk,
        data=routing.RuleInput(
            name="Semua (2)",
            members=(routing.MemberInput(agents[2].pk, 5),),
            strategy="LEAST_LOADED",
        ),
    )
    routing.routing_rule_set_active(actor=system, rule_id=made.pk, active=False)
    rows = list(
        AuditLog.objects.filter(object_type="cases.RoutingRule", object_id=str(made.pk)).order_by(
            "id"
        )
    )
    assert [r.action for r in rows] == ["CHANGE_WORKFLOW"] * 3
    assert [r.meta.get("created") for r in rows] == [True, False, None]
    assert rows[1].meta["strategy"] == "LEAST_LOADED" and rows[1].meta["members"] == 1
    assert rows[2].meta == {"routing_rule": made.pk, "active": False}
    made.refresh_from_db()
    assert not made.active and [m.user_id for m in made.members.all()] == [agents[2].pk]


def test_an_edit_keeps_the_cursor_with_its_member(open_case, agents, rule, system):
    made = rule(agents)
    open_case(), open_case()  # rr1, rr2: the cursor is on rr2
    routing.routing_rule_save(
        actor=system,
        rule_id=made.pk,
        data=routing.RuleInput(
            name="Urutan baru",
            members=tuple(routing.MemberInput(u.pk) for u in (agents[1], agents[2], agents[0])),
        ),
    )
    made.refresh_from_db()
    assert made.last_position == 1  # rr2 is first now
    assert assignees([open_case()]) == ["rr3"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "aturan\x00jahat"}, "name"),
        ({"branch_code": "NOPE9"}, "branch"),
        ({"category_code": "NOPE"}, "category"),
        ({"channel": "PIGEON"}, "channel"),
        ({"priority": "URGENT"}, "priority"),
        ({"strategy": "RANDOM"}, "strategy"),
        ({"order": 0}, "order"),
        ({"members": ()}, "members"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_saves_nothing(agents, system, fields, field):
    data = {"name": "Aturan", "members": (routing.MemberInput(agents[0].pk),), **fields}
    with pytest.raises(ServiceError) as refused:
        routing.routing_rule_save(actor=system, data=routing.RuleInput(**data))
    assert refused.value.field == field
    assert not RoutingRule.objects.exists()


def test_members_must_be_active_agents_of_the_rule_branch_each_once(
    agents, system, make_user, branch_a, branch_b
):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    elsewhere = make_user(R.AGENT, branches=[branch_b])
    for members, capacity in [
        ((supervisor.pk,), 5),
        ((elsewhere.pk,), 5),
        ((agents[0].pk, agents[0].pk), 5),
        (("not-a-user-id",), 5),
        ((agents[0].pk,), 0),
    ]:
        with pytest.raises(ServiceError) as refused:
            routing.routing_rule_save(
                actor=system,
                data=routing.RuleInput(
                    name="Aturan",
                    branch_code=branch_a.code,
                    members=tuple(routing.MemberInput(m, capacity) for m in members),
                ),
            )
        assert refused.value.field in {"members", "capacity"}
    assert not RoutingRule.objects.exists()


def test_only_a_holder_of_the_configuration_permission_changes_rules(agents, make_user, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        routing.routing_rule_save(
            actor=supervisor,
            data=routing.RuleInput(name="Aturan", members=(routing.MemberInput(agents[0].pk),)),
        )
    with pytest.raises((PermissionDenied, NotFound)):
        routing.routing_rule_set_active(actor=supervisor, rule_id=1, active=False)
    assert not RoutingRule.objects.exists()


# --------------------------------------------------------------------------- the page


def test_admin_lists_creates_and_switches_off_a_rule_on_the_page(signed_in, agents, branch_a):
    client, _admin = signed_in(R.ADMIN)
    response = client.post(
        reverse("cases:routing_rule_new"),
        {
            "name": "Transaksi gagal Medan",
            "order": "10",
            "category": "TRX_FAIL",
            "channel": "",
            "branch": branch_a.code,
            "priority": "",
            "strategy": "ROUND_ROBIN",
            "members": [str(agents[0].pk), str(agents[1].pk)],
            "capacity": "15",
            "active": "on",
        },
    )
    assert response.status_code == 303
    made = RoutingRule.objects.get()
    assert (made.category_id, made.branch_id, made.active) == ("TRX_FAIL", branch_a.pk, True)
    assert made.default_capacity == 15
    assert [(m.user_id, m.position, m.effective_capacity) for m in made.members.all()] == [
        (agents[0].pk, 1, 15),
        (agents[1].pk, 2, 15),
    ]
    page = client.get(reverse("cases:routing_rules"))
    assert page.status_code == 200 and "Transaksi gagal Medan" in page.content.decode()
    assert client.get(reverse("cases:routing_rule_edit", args=[made.pk])).status_code == 200
    off = client.post(reverse("cases:routing_rule_active", args=[made.pk]), {"active": "0"})
    assert off.status_code == 303
    made.refresh_from_db()
    assert not made.active
    changes = AuditLog.objects.filter(object_type="cases.RoutingRule", action="CHANGE_WORKFLOW")
    assert changes.count() == 2


def test_the_page_sets_a_capacity_per_agent_in_name_order(signed_in, make_user, branch_a, system):
    zed = make_user(R.AGENT, branches=[branch_a], username="zed", full_name="Zainal Abidin")
    ani = make_user(R.AGENT, branches=[branch_a], username="ani", full_name="Ani Lestari")
    client, _admin = signed_in(R.ADMIN)
    form = client.get(reverse("cases:routing_rule_new")).content.decode()
    assert f'name="capacity_{ani.pk}"' in form
    assert form.index("Ani Lestari") < form.index("Zainal Abidin")  # listed by name
    response = client.post(
        reverse("cases:routing_rule_new"),
        {
            "name": "Per agen",
            "order": "10",
            "strategy": "LEAST_LOADED",
            # posted out of order: the positions still follow the names
            "members": [str(zed.pk), str(ani.pk)],
            "capacity": "10",
            f"capacity_{zed.pk}": "3",
            f"capacity_{ani.pk}": "",
        },
    )
    assert response.status_code == 303
    made = RoutingRule.objects.get()
    assert made.default_capacity == 10
    assert [(m.user_id, m.position, m.capacity) for m in made.members.all()] == [
        (ani.pk, 1, None),
        (zed.pk, 2, 3),
    ]
    edit = client.get(reverse("cases:routing_rule_edit", args=[made.pk])).content.decode()
    assert f'name="capacity_{zed.pk}" min="1" max="1000" value="3"' in edit
    listing = client.get(reverse("cases:routing_rules")).content.decode()
    assert "maks. 3 kasus, kapasitas sendiri" in listing and "maks. 10 kasus)" in listing
    bad = client.post(
        reverse("cases:routing_rule_edit", args=[made.pk]),
        {
            "name": "Per agen",
            "order": "10",
            "strategy": "LEAST_LOADED",
            "members": [str(zed.pk)],
            "capacity": "10",
            f"capacity_{zed.pk}": "0",
        },
    )
    assert bad.status_code == 400 and b"form-error" in bad.content
    made.refresh_from_db()
    assert made.members.count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"branch": "NOPE9"},  # an unknown branch
        {"members": []},  # nobody to take the cases
        {"name": "   "},
    ],
)
def test_bad_input_on_the_page_is_a_form_error_and_saves_nothing(signed_in, agents, bad):
    client, _admin = signed_in(R.ADMIN)
    data = {
        "name": "Aturan",
        "order": "10",
        "strategy": "ROUND_ROBIN",
        "members": [str(agents[0].pk)],
        "capacity": "5",
    } | bad
    response = client.post(reverse("cases:routing_rule_new"), data)
    assert response.status_code == 400
    assert b"form-error" in response.content
    assert not RoutingRule.objects.exists()
    assert not AuditLog.objects.filter(object_type="cases.RoutingRule").exists()


def test_nul_bytes_on_the_page_are_refused_and_save_nothing(signed_in, agents):
    client, _admin = signed_in(R.ADMIN)
    response = client.post(
        reverse("cases:routing_rule_new"),
        {
            "name": "Aturan\x00",
            "order": "10",
            "strategy": "ROUND_ROBIN",
            "members": [str(agents[0].pk)],
            "capacity": "5",
        },
    )
    assert response.status_code == 400
    assert not RoutingRule.objects.exists()


def test_a_supervisor_may_not_open_the_routing_page(signed_in, branch_a):
    client, _user = signed_in(R.SUPERVISOR, branches=[branch_a])
    assert client.get(reverse("cases:routing_rules")).status_code == 403
    assert client.get(reverse("cases:routing_rule_new")).status_code == 403


def test_a_missing_rule_is_not_found_on_the_page(signed_in):
    client, _admin = signed_in(R.ADMIN)
    assert client.get(reverse("cases:routing_rule_edit", args=[10**9])).status_code == 404
    missing = client.post(reverse("cases:routing_rule_active", args=[10**9]), {"active": "0"})
    assert missing.status_code == 404
    assert not AuditLog.objects.filter(object_type="cases.RoutingRule").exists()
