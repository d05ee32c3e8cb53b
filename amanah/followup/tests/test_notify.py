"""Rotation notices go through the messaging hub once per rotation: old and new agent, IN_APP
and e-mail, however often the job runs."""

import pytest

from amanah.core import events
from amanah.followup.assign import MEMBERS_ROTATED
from amanah.followup.notify import rotation_notices
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tests.conftest import HOURS_48, T0
from amanah.messaging.models import Message

pytestmark = pytest.mark.django_db


def test_the_notices_are_a_deferred_reaction_to_the_rotation():
    handlers = [h for _k, h in events.handlers_of(MEMBERS_ROTATED)]
    assert [(h.handle, h.deferred) for h in handlers] == [(rotation_notices, True)]


def test_old_and_new_agent_hear_once_per_rotation(make_desk, make_customers, enrol, system):
    agents = make_desk(3)
    member = enrol(make_customers(1)[0])
    rotation_sweep(now=T0 + HOURS_48)
    member.refresh_from_db()
    rotation = member.last_rotation
    assert (rotation.from_position, rotation.to_position) == (1, 2)
    first = rotation_notices(actor=system, rotation_ids=[rotation.pk])
    again = rotation_notices(actor=system, rotation_ids=[rotation.pk])
    assert first["queued"] == 4 and again["queued"] == 0
    sent = Message.objects.filter(source="ROTATION", source_id=str(rotation.pk))
    assert sorted(sent.values_list("channel", flat=True)) == ["EMAIL", "EMAIL", "IN_APP", "IN_APP"]
    old = sent.get(channel="IN_APP", staff_user=agents[0].user)
    new = sent.get(channel="IN_APP", staff_user=agents[1].user)
    assert "agen 2" in old.subject
    assert "Member Uji" in new.subject and "1" in new.text
    assert not sent.filter(staff_user=agents[2].user).exists()


def test_a_member_left_waiting_tells_only_the_old_agent(make_desk, make_customers, enrol, system):
    agents = make_desk(1)
    member = enrol(make_customers(1)[0])
    rotation_sweep(now=T0 + HOURS_48)
    member.refresh_from_db()
    assert member.status == "PENDING"
    rotation_notices(actor=system, rotation_ids=[member.last_rotation_id])
    sent = Message.objects.filter(source="ROTATION", source_id=str(member.last_rotation_id))
    assert set(sent.values_list("staff_user", flat=True)) == {agents[0].user.pk}
