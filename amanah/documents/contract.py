"""What documents offer the rest of the house.

Owner apps register their models as owner kinds: ``register_owner("cases.Case", label=…,
url=…, of_customer=…)`` in their own ``contract.py`` (documents never imports them; customers,
a lower app, is registered here); ``of_customer(customer)`` names the owner rows about a
customer, whose documents are in the UU PDP access export. Pages: ``documents:owner`` (the
panel of an owner's documents).
Ask: ``documents_of(actor, owner_kind, owner)``; ``owner_documents(actor, kind, owner)`` for
the owner's own page (the list and the link, or None when the actor may not see them).
Write: ``document_create`` (an owner app that must refuse a bad file before writing anything
of its own checks it first with ``check_upload`` and passes ``checked=``).
Generated PDFs (the case receipt, the PDAM's approved RAB, the DSAR export):
``document_generate(actor=…, data=…, key=…, filename=…, make=…, reason=…)`` makes one once per
key, signs it (``sign_generated``: the organisation's certificate when one is configured, the
same bytes when not) and keeps it as a document of its owner. For the system's own use
``generated_find`` finds it without making it (``generated_issued(keys)``: which of a batch of
keys were issued, for a back-fill) and ``generated_content`` reads it back
(``document_content``: any document's newest bytes, for an owner app's own system read); a
person downloads it with ``version_download`` (audited).
Events: ``documents.version_stored`` (``actor, document, version``: a new document, version or
signature) and ``documents.document.transitioned`` (the approval workflow).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.core import events, registry
from amanah.core.contributions import QuickAction
from amanah.documents import retention as _retention  # noqa: F401 (its job's declared actor)
from amanah.documents import subject as _subject_section
from amanah.documents.doctypes import TYPES, DocumentStatus
from amanah.documents.owners import OwnerKind, register_owner
from amanah.documents.policies import (
    DOCUMENT_DECIDE,
    DOCUMENT_REVERT,
    DOCUMENT_UPLOAD,
    DOCUMENT_VIEW,
)
from amanah.documents.selectors import OwnerDocuments, documents_of, made_by, owner_documents
from amanah.documents.services import (
    VERSION_STORED,
    DocumentInput,
    Generated,
    check_upload,
    document_content,
    document_create,
    document_generate,
    document_import,
    generated_content,
    generated_find,
    generated_issued,
    move_customer_documents,
    version_download,
)
from amanah.documents.signing import sign_generated
from amanah.iam import authz
from amanah.workflow.contract import TransitionSpec, WorkflowSpec, declare_workflow, register_guard

__all__ = [
    "VERSION_STORED",
    "DocumentInput",
    "Generated",
    "OwnerDocuments",
    "OwnerKind",
    "check_upload",
    "document_content",
    "document_create",
    "document_generate",
    "document_import",
    "documents_of",
    "generated_content",
    "generated_find",
    "generated_issued",
    "owner_documents",
    "register_owner",
    "sign_generated",
    "version_download",
]

S = DocumentStatus
WORKFLOW_KEY = "documents.document"


def _second_authorised_pair_of_eyes(document, data) -> bool:
    """Four eyes and the type's approver permission (the services say which one failed)."""
    actor = data.get("actor")
    if made_by(document, actor):
        return False
    return document.doc_type in TYPES and authz.has_perm(
        actor, TYPES[document.doc_type].approve_permission
    )


APPROVER = register_guard(
    "documents.document.approver",
    _second_authorised_pair_of_eyes,
    message=gettext_lazy(
        "Keputusan butuh pihak kedua (bukan pengaju atau pengunggah versi ini) yang berwenang "
        "untuk jenis dokumen ini."
    ),
)


def _on_apply(document, *, transition, data, at):
    document.updated_at = at
    fields = ["updated_at"]
    if transition.to_status == S.SUBMITTED and not transition.is_revert:
        actor = data.get("actor")
        document.submitted_by = actor if hasattr(actor, "username") else None
        fields.append("submitted_by")
    return fields


declare_workflow(
    WorkflowSpec(
        key=WORKFLOW_KEY,
        model="documents.Document",
        status_field="status",
        label=gettext_noop("Persetujuan dokumen"),
        on_apply=_on_apply,
        transitions=(
            TransitionSpec(
                S.DRAFT, S.SUBMITTED, DOCUMENT_UPLOAD, gettext_noop("Ajukan persetujuan")
            ),
            TransitionSpec(
                S.SUBMITTED, S.APPROVED, DOCUMENT_DECIDE, gettext_noop("Setujui"), guard=APPROVER
            ),
            TransitionSpec(
                S.SUBMITTED,
                S.REJECTED,
                DOCUMENT_DECIDE,
                gettext_noop("Tolak"),
                guard=APPROVER,
                required=("decision_reason",),
            ),
            TransitionSpec(
                S.REJECTED, S.DRAFT, DOCUMENT_UPLOAD, gettext_noop("Perbaiki (kembali ke draf)")
            ),
            TransitionSpec(
                S.SUBMITTED,
                S.DRAFT,
                DOCUMENT_UPLOAD,
                gettext_noop("Tarik pengajuan"),
                is_revert=True,
            ),
            TransitionSpec(
                S.APPROVED,
                S.SUBMITTED,
                DOCUMENT_REVERT,
                gettext_noop("Batalkan persetujuan"),
                is_revert=True,
            ),
            TransitionSpec(
                S.REJECTED,
                S.SUBMITTED,
                DOCUMENT_REVERT,
                gettext_noop("Batalkan penolakan"),
                is_revert=True,
            ),
        ),
    )
)

events.declare(VERSION_STORED)

# Customers sit below documents: documents registers them (cases register themselves).
register_owner(
    "customers.Customer",
    label=gettext_lazy("Nasabah"),
    url=lambda customer: reverse("customer360:workspace", args=[customer.pk]),
    describe=lambda customer: str(customer.pk)[:8],
    of_customer=lambda customer: type(customer)._default_manager.filter(pk=customer.pk),
)

registry.merge_movers.register("documents.customer", move_customer_documents)

registry.quick_actions.register(
    "documents.customer",
    QuickAction(
        gettext_lazy("Dokumen"),
        DOCUMENT_VIEW,
        lambda customer: reverse("documents:owner", args=["customers.Customer", customer.pk]),
    ),
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("documents", _subject_section.SECTION)
