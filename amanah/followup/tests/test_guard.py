"""The database refuses an agent change that does not come with a rotation record."""

import pytest
from django.db import IntegrityError, connection, transaction

from amanah.followup.models import Member, Rotation


@pytest.fixture
def member(make_desk, make_customers, enrol):
    make_desk(3)
    return enrol(make_customers(1)[0])


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_member_enrolled_through_the_service_has_an_agent_and_its_record(member):
    assert member.current_agent.position == 1
    assert member.last_rotation.to_agent_id == member.current_agent_id
    assert member.last_rotation.reason == "NEW_MEMBER"


def test_raw_update_of_the_agent_is_refused(member):
    other = member.current_agent.__class__.objects.exclude(pk=member.current_agent_id).first()
    with pytest.raises(IntegrityError, match="rotation record"):
        _raw(
            "UPDATE followup_member SET current_agent_id = %s WHERE id = %s", [other.pk, member.pk]
        )
    member.refresh_from_db()
    assert member.current_agent.position == 1


def test_raw_update_naming_an_old_rotation_record_is_refused_too(member):
    other = member.current_agent.__class__.objects.exclude(pk=member.current_agent_id).first()
    with pytest.raises(IntegrityError, match="rotation record"):
        _raw(
            "UPDATE followup_member SET current_agent_id = %s, last_rotation_id = %s WHERE id = %s",
            [other.pk, member.last_rotation_id, member.pk],
        )


def test_an_orm_update_without_a_record_is_refused(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(current_agent=None, status="PENDING")


def test_a_member_inserted_with_an_agent_is_refused(member, make_customers):
    customer = make_customers(1)[0]
    with pytest.raises(IntegrityError, match="enrolled without an agent"):
        _raw(
            "INSERT INTO followup_member (customer_id, current_agent_id, last_position, status,"
            " entry_reason, exit_reason, window_start, window_end, deposit_total, deposit_status,"
            " enrolled_at) VALUES (%s, %s, 1, 'ACTIVE', 'OTHER', '', now(),"
            " now() + interval '1 day', 0, 'NONE', now())",
            [customer.pk, member.current_agent_id],
        )


def test_a_matching_record_lets_the_change_through(member):
    """What the sweep does: the record first, then the agent with it."""
    other = member.current_agent.__class__.objects.get(position=2)
    with transaction.atomic():
        rotation = Rotation.objects.create(
            member=member,
            from_agent=member.current_agent,
            to_agent=other,
            from_position=1,
            to_position=2,
            reason="NO_DEPOSIT",
        )
        _raw(
            "UPDATE followup_member SET current_agent_id = %s, last_rotation_id = %s WHERE id = %s",
            [other.pk, rotation.pk, member.pk],
        )
    member.refresh_from_db()
    assert member.current_agent_id == other.pk


@pytest.mark.parametrize(
    "sql", ["UPDATE followup_rotation SET reason = 'AGENT_FULL'", "DELETE FROM followup_rotation"]
)
def test_rotation_history_is_append_only(member, sql):
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(sql, [])
