"""A customer merge: the absorbed record's documents follow the person."""

from __future__ import annotations

from django.utils import timezone

from amanah.documents.models import Document
from amanah.documents.services.base import CUSTOMER_KIND


def move_customer_documents(absorbed, survivor) -> int:
    """Merge mover: a customer's documents (identity papers, consent forms) follow the person
    to the surviving record; the merge's own audit row counts them."""
    return Document.objects.filter(owner_kind=CUSTOMER_KIND, owner_id=str(absorbed.pk)).update(
        owner_id=str(survivor.pk), updated_at=timezone.now()
    )
