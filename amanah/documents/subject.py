"""What documents keep about a data subject (UU PDP access export): the records of the
customer's own documents and their versions (the files themselves are opened one by one on
the document page, with a reason).

A version's wrapped data key is withheld: it is the bank's secret that seals the file, not
data about the person."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.services import CUSTOMER_KIND

WITHHELD = {
    "documents.DocumentVersion": {
        "wrapped_key": "kunci data berkas yang dibungkus kunci induk bank (rahasia, bukan data "
        "pribadi)",
    }
}


def _documents(customer):
    return Document.objects.filter(owner_kind=CUSTOMER_KIND, owner_id=str(customer.pk))


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
