"""What every queue and case page reads, made cheap without changing its answers: the handler
lists of the bulk assign and of a case (prepared reads given the clock). (The SLA badge's
deadline text: ``core/tests/test_datetime_text.py``.)"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from amanah.cases import services as cases
from amanah.core import prepared
from amanah.core.roles import RoleKey as R
from amanah.iam.models import User, UserBranchScope


def _plain_handlers(actor=None, *, branch_id=None) -> set:
    """The handler list as the per-user rule answers it: active agents and supervisors whose
    branch scope in force allows a branch the actor's scope allows (or ``branch_id``)."""
    from amanah.iam import authz

    scope = authz.branch_scope(actor) if actor else authz.BranchScope(False, {branch_id})
    handlers = User.objects.filter(
        is_active=True, user_roles__role_id__in=[R.AGENT, R.SUPERVISOR]
    ).distinct()
    return {
        u.pk
        for u in handlers
        if scope.all_branches
        or any(authz.branch_scope(u).allows(branch_id) for branch_id in scope.branch_ids)
    }


def _offered(case) -> set:
    """Whom a case's page offers to assign it to."""
    return {u.pk for u in cases._eligible_handlers(case)}


@pytest.mark.django_db
def test_the_handler_list_follows_scopes_and_the_clock_once_compiled(make_user, branch_a, branch_b):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    bank_wide = make_user(R.SUPERVISOR)
    here = make_user(R.AGENT, branches=[branch_a])
    make_user(R.AGENT, branches=[branch_b])  # another branch: never offered to `supervisor`
    make_user(R.MARKETING, branches=[branch_a])  # not a handler
    leaving = make_user(R.AGENT, branches=[branch_b])
    scope = UserBranchScope.objects.create(user=leaving, branch=branch_a, scope_type="BRANCH")
    nobody = make_user(R.SUPERVISOR, branches=[branch_a])
    UserBranchScope.objects.filter(user=nobody).delete()  # a supervisor with no scope left
    nobody = User.objects.get(pk=nobody.pk)

    for actor in (supervisor, bank_wide, nobody):
        assert {u.pk for u in cases.queue_handlers(actor)} == _plain_handlers(actor)
    case_at_a = SimpleNamespace(branch_id=branch_a.pk)  # all a case's page reads of it
    assert _offered(case_at_a) == _plain_handlers(branch_id=branch_a.pk)
    assert {leaving.pk, here.pk, bank_wide.pk} <= _offered(case_at_a)
    assert leaving.pk in {u.pk for u in cases.queue_handlers(supervisor)}
    assert here.pk in {u.pk for u in cases.queue_handlers(supervisor)}
    assert cases.queue_handlers(nobody) == []

    # The statement is kept; the clock is a value in it, not part of it: a scope that has
    # ended since is no longer counted, with nothing compiled again.
    kept = len(prepared._KEPT)
    UserBranchScope.objects.filter(pk=scope.pk).update(
        active_to=timezone.now() - dt.timedelta(seconds=1)
    )
    assert leaving.pk not in {u.pk for u in cases.queue_handlers(supervisor)}
    assert {u.pk for u in cases.queue_handlers(supervisor)} == _plain_handlers(supervisor)
    assert leaving.pk not in _offered(case_at_a)
    assert _offered(case_at_a) == _plain_handlers(branch_id=branch_a.pk)
    assert len(prepared._KEPT) == kept


def _plain_queue(actor, filters) -> list:
    """The queue as the ORM answers it in one pass (``selectors.queue``), every page's row."""
    from amanah.cases import selectors

    return list(selectors.queue(actor=actor, filters=filters).values_list("pk", flat=True))


def _paged(actor, filters, monkeypatch) -> list:
    from amanah.cases import selectors

    monkeypatch.setattr(selectors.worklists, "PAGE_SIZE", 2)
    seen, after = [], None
    while True:
        rows, after = selectors.queue_page(actor=actor, filters=filters, after=after)
        seen += [c.pk for c in rows]
        if after is None:
            return seen


@pytest.mark.django_db
def test_the_queue_pages_kept_compiled_answer_as_the_plain_queue(
    open_case, supervisor, agent, make_user, branch_a, monkeypatch
):
    """Every filter a value or empty, pages by the key, two supervisors: the kept statements
    (``core.prepared``) give each call its own answer."""
    from amanah.cases.selectors import QueueFilter

    made = [open_case(), open_case(priority="HIGH"), open_case(category="CARD_ATM"), open_case()]
    made += [open_case(priority="HIGH"), open_case()]
    cases.case_assign(actor=supervisor, case=made[1], assignee=agent)
    cases.case_assign(actor=supervisor, case=made[4], assignee=supervisor)  # "mine" differs
    Case = type(made[0])
    Case.objects.filter(pk=made[2].pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))
    other = make_user(R.SUPERVISOR, branches=[branch_a])
    prepared.clear()
    filters = [
        QueueFilter(),
        QueueFilter(priority="HIGH"),
        QueueFilter(priority="LOW"),
        QueueFilter(category="CARD_ATM"),
        QueueFilter(status="NEW"),
        QueueFilter(branch_id=str(branch_a.pk)),
        QueueFilter(overdue_only=True),
        QueueFilter(who="unassigned"),
        QueueFilter(who="mine"),
        QueueFilter(case_no=made[3].case_no),
    ]
    for actor in (supervisor, other):
        for queue_filter in filters * 2:  # the second round from the kept statements
            assert _paged(actor, queue_filter, monkeypatch) == _plain_queue(actor, queue_filter)
    assert _paged(supervisor, QueueFilter(), monkeypatch)[0] == made[2].pk  # overdue first
    assert len(_paged(supervisor, QueueFilter(priority="HIGH"), monkeypatch)) == 2
    assert _paged(supervisor, QueueFilter(who="mine"), monkeypatch) == [made[4].pk]
    assert _paged(other, QueueFilter(who="mine"), monkeypatch) == []
