"""Every write of documents, split by topic; callers import from here.

- ``versions``: create a document, import one, add a version, download a version (audited);
- ``approval``: submit, decide (four eyes), rework, revert — moves on the workflow engine;
- ``signatures``: sign the current PDF, verify a version again;
- ``generated``: a PDF the system makes (the case receipt), made, signed and stored once per
  key;
- ``holds``: legal hold; ``keys``: master key rotation; ``merge``: the customer merge mover;
- ``base``: what they share (storing a version, locking through the owner's scope, opening
  the bytes).

Keyword-only, actor first; permission and scope, validation, write, audit in one transaction.
Files are written before the rows and removed again if the transaction fails inside the
service (an orphan sealed file without its wrapped key reveals nothing).
"""

from amanah.documents.services.approval import (
    document_decide,
    document_revert,
    document_rework,
    document_submit,
)
from amanah.documents.services.base import (
    CUSTOMER_KIND,
    REASON_MAX,
    REASON_MIN,
    TITLE_MAX,
    VERSION_STORED,
    DocumentInput,
    version_for,
)
from amanah.documents.services.generated import (
    Generated,
    document_content,
    document_generate,
    generated_content,
    generated_find,
    generated_issued,
)
from amanah.documents.services.holds import document_legal_hold
from amanah.documents.services.keys import keys_rotate
from amanah.documents.services.merge import move_customer_documents
from amanah.documents.services.signatures import document_sign, version_verify
from amanah.documents.services.versions import (
    check_upload,
    clean_open_reason,
    document_create,
    document_import,
    version_add,
    version_download,
)

__all__ = [
    "CUSTOMER_KIND",
    "REASON_MAX",
    "REASON_MIN",
    "TITLE_MAX",
    "VERSION_STORED",
    "DocumentInput",
    "Generated",
    "check_upload",
    "clean_open_reason",
    "document_create",
    "document_decide",
    "document_content",
    "document_generate",
    "document_import",
    "document_legal_hold",
    "document_revert",
    "document_rework",
    "document_sign",
    "document_submit",
    "generated_content",
    "generated_find",
    "generated_issued",
    "keys_rotate",
    "move_customer_documents",
    "version_add",
    "version_download",
    "version_for",
    "version_verify",
]
