"""Issue 51 item 8: a possible duplicate is decided on the workflow engine
(``customers.duplicate``): the flag is locked through the actor's scope, only an OPEN flag
can be dismissed, every decision has a history line; a merge decides the pair's flags."""

from __future__ import annotations

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.actors import SYSTEM
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.models import DuplicateFlag
from amanah.customers.tests.test_customers import _duplicate_pair
from amanah.workflow.contract import history_for

pytestmark = pytest.mark.django_db
NOTE = "Dua orang berbeda, kakak beradik"


@pytest.fixture
def pair(make_customer, make_user, branch_a):
    survivor, absorbed = _duplicate_pair(make_customer, make_user, branch_a)
    flags = DuplicateFlag.objects.filter(customer_a__in=[survivor, absorbed])
    return survivor, absorbed, list(flags.order_by("pk"))


def _merged(survivor, absorbed, make_user, branch_a):
    proposer, approver = (make_user(R.SUPERVISOR, branches=[branch_a]) for _ in range(2))
    request = merge.merge_propose(
        actor=proposer, survivor=survivor, absorbed=absorbed, reason="nasabah yang sama persis"
    )
    merge.merge_approve(actor=approver, request=request, note="cek KTP")


def test_a_merged_flag_cannot_be_dismissed(pair, make_user, branch_a):
    survivor, absorbed, flags = pair
    stale = flags[0]  # as a page loaded before the merge still holds it
    _merged(survivor, absorbed, make_user, branch_a)
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(ServiceError) as refused:
        merge.duplicate_dismiss(actor=supervisor, flag=stale, note=NOTE)
    assert refused.value.code == "transition_not_allowed"
    assert set(
        DuplicateFlag.objects.filter(pk__in=[f.pk for f in flags]).values_list("status", flat=True)
    ) == {"MERGED"}
    assert not AuditLog.objects.filter(action="DISMISS_DUPLICATE").exists()


def test_the_page_refuses_to_dismiss_a_merged_flag(pair, make_user, branch_a):
    survivor, absorbed, flags = pair
    _merged(survivor, absorbed, make_user, branch_a)
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    response = client.post(
        f"/customers/duplicates/{flags[0].pk}/dismiss/", {"reason": NOTE}, follow=True
    )
    assert "tidak diizinkan" in response.content.decode()
    assert DuplicateFlag.objects.get(pk=flags[0].pk).status == "MERGED"


def test_a_dismissal_is_a_move_with_history_and_the_note_on_the_flag(pair, make_user, branch_a):
    _survivor, _absorbed, flags = pair
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    flag = merge.duplicate_dismiss(actor=supervisor, flag=flags[0], note=NOTE)
    assert (flag.status, flag.decided_by, flag.decision_note) == ("DISMISSED", supervisor, NOTE)
    (line,) = history_for(SYSTEM, flag)
    assert (line.from_status, line.to_status, line.actor_id) == (
        "OPEN",
        "DISMISSED",
        str(supervisor.pk),
    )
    row = AuditLog.objects.get(action="DISMISS_DUPLICATE", object_id=str(flag.pk))
    assert NOTE not in str(row.meta)  # the note's length only, as the engine keeps it
    with pytest.raises(ServiceError) as again:
        merge.duplicate_dismiss(actor=supervisor, flag=flags[0], note=NOTE)
    assert again.value.code == "transition_not_allowed"


def test_a_flag_outside_scope_is_not_found(pair, make_user, branch_b):
    _survivor, _absorbed, flags = pair
    outsider = make_user(R.SUPERVISOR, branches=[branch_b])
    with pytest.raises(NotFound):
        merge.duplicate_dismiss(actor=outsider, flag=flags[0], note=NOTE)
    assert DuplicateFlag.objects.get(pk=flags[0].pk).status == "OPEN"


def test_a_merge_decides_the_pairs_flags_with_history(pair, make_user, branch_a):
    survivor, absorbed, flags = pair
    merge.duplicate_dismiss(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]), flag=flags[0], note=NOTE
    )
    _merged(survivor, absorbed, make_user, branch_a)
    for flag in flags:
        flag.refresh_from_db()
        assert flag.status == "MERGED" and flag.decided_at is not None
        assert history_for(SYSTEM, flag)[0].to_status == "MERGED"
