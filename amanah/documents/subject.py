"""What documents keep about a data subject (UU PDP access export): the records of the
documents of every owner about the customer and their versions — the customer's own, and
those of each registered owner kind's rows about them (``OwnerKind.of_customer``: the
customer's cases, the work orders of visits to them with their photos, the e-mail intakes
linked to them with their attachments). The files themselves are opened one by one on the
document page, with a reason.

A version's wrapped data key is withheld: it is the bank's secret that seals the file, not
data about the person."""

from __future__ import annotations

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.documents.models import Document, DocumentVersion

WITHHELD = {
    "documents.DocumentVersion": {
        "wrapped_key": "kunci data berkas yang dibungkus kunci induk bank (rahasia, bukan data "
        "pribadi)",
    }
}


def _documents(customer):
    """Every document whose owner is about ``customer``: one query, an ``IN`` subquery per
    owner kind on the owner's key as text (``owner_id``), never another customer's row."""
    condition = Q(pk__in=[])
    for key, kind in registry.document_owners.items():
        if kind.of_customer is None:
            continue
        owners = kind.of_customer(customer).order_by().values_list(Cast("pk", TextField()))
        condition |= Q(owner_kind=key, owner_id__in=owners)
    return Document.objects.filter(condition)


def rows(customer) -> dict:
    documents = _documents(customer)
    return {
        "documents.Document": stored_rows(documents),
        "documents.DocumentVersion": stored_rows(
            DocumentVersion.objects.filter(document__in=documents),
            withheld=WITHHELD["documents.DocumentVersion"],
        ),
    }


def trail(customer) -> dict:
    return {
        "documents.Document": [str(pk) for pk in _documents(customer).values_list("pk", flat=True)]
    }


SECTION = SubjectSection(
    label=_("Dokumen nasabah"),
    models=("documents.Document", "documents.DocumentVersion"),
    rows=rows,
    trail=trail,
    withheld=WITHHELD,
)
