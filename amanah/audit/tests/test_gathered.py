"""audit.gathered: a transaction's events chained in one write at the end of the block."""

import pytest
from django.db import transaction

from amanah.audit import chain, services
from amanah.audit.models import AuditAction, AuditLog
from amanah.core.actors import SystemActor

ACTOR = SystemActor("system:test-gathered")
pytestmark = pytest.mark.django_db


def _record(object_id: str):
    return services.record(
        actor=ACTOR, action=AuditAction.APPLY_PAYMENT_STATUS, object_type="t", object_id=object_id
    )


def test_events_in_the_block_are_written_at_its_end_in_order_and_chained():
    before = AuditLog.objects.count()
    with transaction.atomic(), services.gathered():
        first, second = _record("1"), _record("2")
        with services.gathered():  # nested: the outer block writes
            third = _record("3")
        assert first.pk is None and AuditLog.objects.count() == before
    rows = list(AuditLog.objects.order_by("-id")[:3])[::-1]
    assert [r.object_id for r in rows] == ["1", "2", "3"]
    assert [r.pk for r in rows] == [first.pk, second.pk, third.pk]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert chain.verify_chain().ok


def test_an_error_in_the_block_writes_nothing_and_records_go_straight_again_after():
    before = AuditLog.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), services.gathered():
        _record("lost")
        raise ValueError
    assert AuditLog.objects.count() == before
    with transaction.atomic():
        assert _record("direct").pk is not None
