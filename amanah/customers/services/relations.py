"""Relations between customers (seed 003 Bab 1.2A: family, company, business group, for
relationship banking): added between two customers the actor may change, removed from either
end. Audited on the customer it starts from (ADD_RELATION / REMOVE_RELATION, the other end's
id, never a name); ``customers.relations_changed`` (``actor, customer_ids``) is emitted."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers import selectors
from amanah.customers.models import Customer, CustomerRelation, RelationType
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services.inputs import reason_text

# fn(*, actor, customer_ids): a relation between these customers was added or removed.
RELATIONS_CHANGED = "customers.relations_changed"
_TYPES = frozenset(t.value for t in RelationType)
LABEL_MAX = 60


def _label(raw) -> str:
    label = " ".join(raw.split()) if isinstance(raw, str) else ""
    if problem_in_text(label) or len(label) > LABEL_MAX:
        raise ServiceError(
            "label_invalid", _("Keterangan teks biasa, maks. 60 karakter."), field="label"
        )
    return label


def _locked_pair(actor, first: Customer, second: Customer) -> tuple[Customer, Customer]:
    """Both customers in the actor's write scope, locked in id order (two relations of the
    same pair, made at once, take turns)."""
    locked = {}
    for pk in sorted({first.pk, second.pk}, key=str):
        locked[pk] = selectors.customer_for_change(
            actor=actor, permission=CUSTOMER_MANAGE, customer_id=pk, lock=True
        )
    return locked[first.pk], locked[second.pk]


@transaction.atomic
def relation_add(
    *, actor, customer: Customer, other: Customer, relation_type: str, label: str = ""
) -> CustomerRelation:
    """``customer`` is ``relation_type`` of ``other`` (``label`` says how: "Suami",
    "Pemilik"); both must be customers the actor may change, neither merged away."""
    if customer.pk == other.pk:
        raise ServiceError(
            "relation_self",
            _("Nasabah tidak dapat berelasi dengan dirinya sendiri."),
            field="other",
        )
    if not isinstance(relation_type, str) or relation_type not in _TYPES:
        raise ServiceError(
            "relation_type_invalid",
            _("Jenis relasi: Keluarga, Perusahaan atau Grup usaha."),
            field="relation_type",
        )
    label = _label(label)
    customer, other = _locked_pair(actor, customer, other)
    if customer.is_merged or other.is_merged:
        raise ServiceError(
            "customer_merged", _("Salah satu nasabah sudah digabung."), field="other"
        )
    try:
        with transaction.atomic():
            relation = CustomerRelation.objects.create(
                from_customer=customer, to_customer=other, relation_type=relation_type, label=label
            )
    except IntegrityError as exc:
        raise ServiceError("relation_exists", _("Relasi ini sudah ada."), field="other") from exc
    events.emit(RELATIONS_CHANGED, actor=actor, customer_ids=[customer.pk, other.pk])
    audit.record(
        actor=actor,
        action=AuditAction.ADD_RELATION,
        obj=customer,
        meta={"relation_type": relation_type, "other": str(other.pk), "relation": relation.pk},
    )
    return relation


@transaction.atomic
def relation_remove(*, actor, customer: Customer, relation_id, reason: str) -> None:
    """Remove a relation of ``customer`` (either end) entered by mistake or ended."""
    customer = selectors.customer_for_change(
        actor=actor, permission=CUSTOMER_MANAGE, customer_id=customer.pk, lock=True
    )
    reason = reason_text(reason)
    relation = (
        CustomerRelation.objects.select_for_update(of=("self",))
        .filter(Q(from_customer=customer) | Q(to_customer=customer))
        .filter(pk=relation_id if isinstance(relation_id, int) else None)
        .first()
    )
    if relation is None:
        raise NotFound()
    ends = [relation.from_customer_id, relation.to_customer_id]
    removed = {"relation": relation.pk, "relation_type": relation.relation_type}
    relation.delete()
    events.emit(RELATIONS_CHANGED, actor=actor, customer_ids=ends)
    other = ends[1] if ends[0] == customer.pk else ends[0]
    audit.record(
        actor=actor,
        action=AuditAction.REMOVE_RELATION,
        obj=customer,
        meta={**removed, "other": str(other), "reason_length": len(reason)},
    )
