"""The agent's workspace (issue 16): Kasus saya, finding a case by its number, the SLA
countdown in words that stops at the final response."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.cases import selectors, sla
from amanah.cases import services as cases
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core.errors import NotFound
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create

FINAL = "Dana Rp 2.500.000 sudah dikembalikan ke rekening nasabah."


# --------------------------------------------------------------------------- countdown words


@pytest.mark.parametrize(
    "minutes, text",
    [
        (-5, "0 menit"),
        (0, "0 menit"),
        (1, "1 menit"),
        (59, "59 menit"),
        (60, "1 jam"),
        (61, "1 jam 1 menit"),
        (200, "3 jam 20 menit"),
        (1439, "23 jam 59 menit"),
        (1440, "1 hari"),
        (1499, "1 hari"),
        (1500, "1 hari 1 jam"),
        (7 * 1440 + 3 * 60 + 59, "7 hari 3 jam"),
    ],
)
def test_durations_are_written_in_words(minutes, text):
    assert sla.duration_text(minutes) == text


def test_durations_in_english():
    with translation.override("en"):
        assert sla.duration_text(7 * 1440 + 3 * 60) == "7 days 3 hours"
        assert sla.duration_text(61) == "1 hour 1 minute"


def test_the_countdown_runs_warns_breaches_pauses_and_stops_at_the_final_response(open_case, agent):
    with at(dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB)):  # a Monday morning
        case = open_case()
    due = case.sla_due_at
    assert sla.countdown(case, due - dt.timedelta(days=2, hours=3, minutes=10)) == (
        "sisa 2 hari 3 jam"
    )
    view = sla.sla_view(case, case.received_at + dt.timedelta(minutes=1))
    assert (view.state, view.label) == ("ON_TRACK", "Sesuai jadwal")
    assert sla.sla_view(case, case.warn_at - dt.timedelta(minutes=1)).state == "ON_TRACK"
    assert sla.sla_view(case, case.warn_at).state == "WARNING"
    assert sla.sla_view(case, due).state == "BREACHED"
    late = sla.sla_view(case, due + dt.timedelta(days=2, minutes=5))
    assert (late.state, late.countdown, late.label) == ("BREACHED", "lewat 2 hari", "Lewat batas")

    with at(due - dt.timedelta(hours=5)):
        case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
        case = cases.case_change_status(actor=agent, case=case, to_status="WAITING_INFO")
    paused = sla.sla_view(case, due + dt.timedelta(days=30))  # the clock does not run
    assert (paused.state, paused.countdown) == ("PAUSED", "berhenti, sisa 5 jam")

    with at(due - dt.timedelta(hours=4)):
        case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    with at(case.received_at + dt.timedelta(days=1, hours=2, minutes=30)):
        case = cases.case_final_response(
            actor=agent, case=case, text=FINAL, resolution_code="REFUND"
        )
    done = sla.sla_view(case, due + dt.timedelta(days=30))
    assert (done.state, done.label) == ("DONE", "Selesai")
    assert done.countdown == "selesai dalam 1 hari 2 jam"
    case = cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    assert sla.countdown(case, due + dt.timedelta(days=60)) == "selesai dalam 1 hari 2 jam"


def test_a_closed_case_page_shows_no_time_left(open_case, agent):
    case = open_case()
    case = cases.case_final_response(actor=agent, case=case, text=FINAL, resolution_code="REFUND")
    case = cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-state="DONE"' in html and "selesai dalam" in html
    assert "sisa" not in html and "lewat" not in html


# --------------------------------------------------------------------------- Kasus saya


def _case_in(customer, actor):
    return cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Kartu tertelan di ATM, saldo terpotong Rp 1.000.000.",
        ),
    )


@pytest.fixture
def desk(open_case, agent, supervisor, make_user, branch_b, system):
    """The agent's cases (created, assigned to them by a colleague, resolved), a colleague's
    own case, and a case in another branch."""
    colleague = make_user(R.AGENT, branches=[supervisor.home_branch])
    created = open_case()
    theirs = open_case(actor=colleague)
    given = open_case(actor=colleague)
    cases.case_assign(actor=supervisor, case=given, assignee=agent)
    done = cases.case_final_response(
        actor=agent, case=open_case(), text=FINAL, resolution_code="REFUND"
    )
    stranger = customer_create(
        actor=system,
        data=CustomerInput(full_name="Siti Aminah", home_branch=branch_b, phone="082160009999"),
    )
    elsewhere = _case_in(stranger, make_user(R.AGENT, branches=[branch_b]))
    return {
        "created": created,
        "theirs": theirs,
        "given": given,
        "done": done,
        "elsewhere": elsewhere,
    }


def test_my_cases_by_tab_with_counts_nearest_due_first(desk, agent):
    rows, counts = selectors.my_cases(actor=agent, tab="assigned")
    assert [c.pk for c in rows] == [desk["given"].pk]
    assert counts == {"assigned": 1, "created": 1, "done": 1}
    rows, _ = selectors.my_cases(actor=agent, tab="created")
    assert [c.pk for c in rows] == [desk["created"].pk]
    rows, _ = selectors.my_cases(actor=agent, tab="done")
    assert [c.pk for c in rows] == [desk["done"].pk]


def test_my_cases_are_sorted_by_due_time(open_case, agent):
    with at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=WIB)):
        later = open_case(priority="LOW")
    with at(dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB)):
        sooner = open_case(priority="LOW")
    rows, _ = selectors.my_cases(actor=agent, tab="created")
    assert [c.pk for c in rows] == [sooner.pk, later.pk]


def test_the_page_shows_tabs_counts_and_sla_labels(desk, agent):
    client = sign_in(Client(), agent)
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("cases:mine") in home  # the menu entry, from the permission
    page = client.get(reverse("cases:mine"))
    html = page.content.decode()
    assert page.status_code == 200
    assert desk["given"].case_no in html and desk["theirs"].case_no not in html
    assert 'data-testid="count-assigned">1<' in html
    assert "Sesuai jadwal" in html or "Mendekati batas" in html or "Lewat batas" in html
    done = client.get(reverse("cases:mine"), {"tab": "done"}).content.decode()
    assert desk["done"].case_no in done and "selesai dalam" in done


@pytest.mark.parametrize(
    "query",
    [{"tab": "nope"}, {"number": "PGD\x00-1"}, {"number": "X" * 41}, {"tab": "done\x00"}],
)
def test_bad_input_on_my_cases_is_a_400(desk, agent, query):
    page = sign_in(Client(), agent).get(reverse("cases:mine"), query)
    assert page.status_code == 400
    assert desk["given"].case_no not in page.content.decode()


def test_my_cases_by_number(desk, agent):
    number = desk["given"].case_no.lower().replace("-", " - ", 1)
    page = sign_in(Client(), agent).get(reverse("cases:mine"), {"number": number})
    html = page.content.decode()
    assert page.status_code == 200 and desk["given"].case_no in html


# --------------------------------------------------------------------------- find by number


def test_case_number_lookup_is_exact_case_insensitive_and_scoped(desk, agent, supervisor):
    number = desk["theirs"].case_no
    typed = f"  {number.lower()[:4]} {number.lower()[4:]} "
    assert selectors.case_by_number(actor=supervisor, term=typed).pk == desk["theirs"].pk
    with pytest.raises(NotFound):  # not the agent's own case: out of scope, same as missing
        selectors.case_by_number(actor=agent, term=number)
    with pytest.raises(NotFound):
        selectors.case_by_number(actor=supervisor, term=desk["elsewhere"].case_no)
    for bad in ("", "PGD-2026", number[:-1], number + "1", "PGD\x00", "P" * 500):
        with pytest.raises(NotFound):
            selectors.case_by_number(actor=supervisor, term=bad)


def test_the_header_search_goes_to_the_case_or_to_the_customer_search(desk, agent, supervisor):
    client = sign_in(Client(), supervisor)
    assert 'data-testid="header-search"' in client.get(reverse("core:home")).content.decode()
    found = client.get(reverse("cases:find"), {"q": desk["theirs"].case_no.lower()})
    assert found.status_code == 302
    assert found["Location"] == reverse("cases:detail", args=[desk["theirs"].pk])
    for term in (desk["elsewhere"].case_no, "Budi Santoso"):  # out of scope = not a case
        other = client.get(reverse("cases:find"), {"q": term})
        assert other.status_code == 302
        assert other["Location"].startswith(reverse("customer360:search") + "?q=")
    theirs = sign_in(Client(), agent).get(reverse("cases:find"), {"q": desk["theirs"].case_no})
    assert theirs["Location"].startswith(reverse("customer360:search"))


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "PGD\x00"}, {"q": "x" * 101}])
def test_bad_input_on_the_header_search_is_a_400(supervisor, query):
    page = sign_in(Client(), supervisor).get(reverse("cases:find"), query)
    assert page.status_code == 400


def test_without_case_view_or_customer_search_the_header_search_finds_nothing(
    desk, make_user, branch_a
):
    from amanah.iam.models import RolePermission

    user = make_user(R.SUPERVISOR, branches=[branch_a])
    RolePermission.objects.filter(permission__in=["case.view", "customer.search"]).delete()
    page = sign_in(Client(), user).get(reverse("cases:find"), {"q": desk["theirs"].case_no})
    assert page.status_code == 404


def test_the_queue_finds_a_case_by_number_whatever_its_status(desk, supervisor):
    client = sign_in(Client(), supervisor)
    page = client.get(reverse("cases:queue"), {"number": f" {desk['done'].case_no.lower()} "})
    html = page.content.decode()
    assert page.status_code == 200
    assert desk["done"].case_no in html and desk["theirs"].case_no not in html
    assert client.get(reverse("cases:queue"), {"number": "PGD\x00"}).status_code == 400
    assert client.get(reverse("cases:queue"), {"number": "P" * 41}).status_code == 400


def test_english_smoke(desk, agent):
    client = sign_in(Client(), agent)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        mine = client.get(reverse("cases:mine")).content.decode()
        detail = client.get(reverse("cases:detail", args=[desk["given"].pk])).content.decode()
    assert "My cases" in mine and "Kasus saya" not in mine
    assert " left" in detail or "overdue by" in detail
    assert "sisa" not in detail


# --------------------------------------------------------------------------- history from → to


def test_the_history_names_the_assignees_and_both_statuses(
    open_case, agent, supervisor, make_user, branch_a
):
    other = make_user(R.AGENT, branches=[branch_a], full_name="Rina Lubis")
    case = open_case()
    cases.case_assign(actor=supervisor, case=case, assignee=agent)
    cases.case_assign(actor=supervisor, case=case, assignee=other)
    cases.case_change_status(actor=supervisor, case=case, to_status="IN_PROGRESS")
    cases.case_change_status(actor=supervisor, case=case, to_status="WAITING_INFO")
    cases.case_escalate(actor=supervisor, case=case, reason="butuh unit kartu pusat")
    changes = [line.change for line in selectors.case_history(case) if line.change]
    assert changes == [
        "→ Baru",
        f"belum ada → {agent.full_name}",
        f"{agent.full_name} → Rina Lubis",
        "Baru → Diproses",
        "Diproses → Menunggu info nasabah",
        "Menunggu info nasabah → Dieskalasi (level 1)",
    ]
    page = sign_in(Client(), supervisor).get(reverse("cases:detail", args=[case.pk]))
    assert "Diproses → Menunggu info nasabah" in page.content.decode()
    assert f"{agent.full_name} → Rina Lubis" in page.content.decode()


def test_the_assignee_list_costs_the_same_queries_for_few_or_many_staff(
    open_case, make_user, supervisor, agent, branch_a, branch_b
):
    """One query for the case page's assignee list, not one scope query per member of staff;
    staff of another branch are not offered, the whole bank's supervisors are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = open_case()
    with CaptureQueriesContext(connection) as few:
        offered = cases._eligible_handlers(case)
    assert {u.pk for u in offered} == {agent.pk, supervisor.pk}
    elsewhere = [make_user(R.AGENT, branches=[branch_b])]
    bank = make_user(R.SUPERVISOR)
    with CaptureQueriesContext(connection) as many:
        offered = cases._eligible_handlers(case)
    assert len(many) == len(few) == 1
    assert {u.pk for u in offered} == {agent.pk, supervisor.pk, bank.pk}
    assert not {u.pk for u in elsewhere} & {u.pk for u in offered}
