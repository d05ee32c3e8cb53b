"""The queue's saved filters: each member of staff's own, by name."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz


def saved_filter_save(*, actor, name: str, query: dict):
    """Save the actor's current queue filter under a name (their own; at most
    ``SAVED_FILTER_MAX``); the same name replaces it."""
    from amanah.cases.models import SavedQueueFilter
    from amanah.cases.policies import CASE_QUEUE
    from amanah.cases.selectors import SAVED_FILTER_MAX

    authz.require(actor, CASE_QUEUE)
    name = " ".join((name or "").split())
    if not name or len(name) > 60 or not name.isprintable():
        raise ServiceError(
            "name_required", _("Beri nama filter (maks. 60 karakter)."), field="name"
        )
    with transaction.atomic():
        mine = SavedQueueFilter.objects.select_for_update().filter(user_id=actor.pk)
        if mine.count() >= SAVED_FILTER_MAX and not mine.filter(name=name).exists():
            raise ServiceError(
                "too_many_filters",
                _("Paling banyak %d filter tersimpan; hapus satu dulu.") % SAVED_FILTER_MAX,
                field="name",
            )
        row, _created = SavedQueueFilter.objects.update_or_create(
            user_id=actor.pk, name=name, defaults={"query": query}
        )
    return row


def saved_filter_delete(*, actor, filter_id) -> None:
    from amanah.cases.models import SavedQueueFilter
    from amanah.cases.policies import CASE_QUEUE

    authz.require(actor, CASE_QUEUE)
    deleted, _rows = SavedQueueFilter.objects.visible_to(actor).filter(pk=filter_id).delete()
    if not deleted:
        raise NotFound()
