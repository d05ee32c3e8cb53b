"""record_batch: ONE chained row about many objects (a catch-up's batch of cases), which the
trail finds by each object's id as it finds the object's own rows."""

import uuid

from django.db import transaction

from amanah.audit import services
from amanah.audit.chain import verify_chain
from amanah.audit.labels import meta_fields
from amanah.audit.models import BATCH_OBJECT_ID, AuditAction, AuditLog
from amanah.audit.selectors import AuditFilter, audit_events, rows_about
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey
from amanah.privacy.export import trail_of


def test_a_batch_row_is_found_by_each_of_its_objects(make_user, marker):
    named = [str(uuid.uuid4()) for _ in range(3)]
    alone, elsewhere = str(uuid.uuid4()), str(uuid.uuid4())
    actor = SystemActor("system:test")
    with transaction.atomic():
        batch = services.record_batch(
            actor=actor,
            action=AuditAction.ESCALATE_CASE,
            object_type=marker,
            object_ids=reversed(named),
            meta={"reason": "sla_breach"},
        )
        own = services.record(
            actor=actor, action=AuditAction.UPDATE_CASE, object_type=marker, object_id=alone
        )
    assert batch.object_id == BATCH_OBJECT_ID
    assert batch.meta == {"reason": "sla_breach", "count": 3, "objects": sorted(named)}
    assert verify_chain().ok  # an ordinary link of the chain

    def found(ids, object_type=marker):
        return list(AuditLog.objects.filter(rows_about(ids, object_type)).order_by("id"))

    assert found([named[1]]) == [batch]
    assert found([alone]) == [own] and found([named[0], alone]) == [batch, own]
    assert found([elsewhere]) == [] and found([named[0]], "other.Type") == []
    # The viewer's object filter and the UU PDP access export's processing trail alike.
    officer = make_user(RoleKey.COMPLIANCE)
    officer.active_role = RoleKey.COMPLIANCE
    viewed = audit_events(actor=officer, filters=AuditFilter(object_id=named[2]))
    assert list(viewed) == [batch]
    trail, cut = trail_of({marker: {named[0]}})
    assert len(trail) == 1 and not cut
    # Shown with its count; the ids themselves are not spelled out on the page.
    assert [field.key for field in meta_fields(batch.meta)] == ["reason", "count"]
