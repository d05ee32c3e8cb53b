"""Files a message carries, made when it is sent — the outbox stores only a reference.

A message row keeps ``attachments = [{"kind": "cases.receipt", "ref": "<case id>"}]``; the
dispatcher asks ``build(refs)`` for the files just before handing the message to its provider
(EMAIL attaches them, WHATSAPP uploads the first as the template's document header). Storing
references keeps the outbox small at campaign scale and keeps documents (names, masked
account numbers) out of it: a receipt is the one issued for the case and kept as its RECEIPT
document (``cases.receipts.receipt_for_sending``: read only, since the dispatcher builds the
files inside its sending transaction; the receipt notice issued it before queueing) — a
message sent again attaches the same receipt and adds no version.

Makers are registered here, per kind (``MAKERS``), by messaging itself: it sits above the
apps whose documents it sends. A reference whose object is gone, or an unknown kind, is an
``AttachmentUnavailable`` — a permanent failure of that message (FAILED, not retried); so is a
stored receipt that fails its integrity checks or was purged (never other bytes instead).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from amanah.core.errors import ServiceError
from amanah.messaging.providers.base import Attachment, ProviderError


class AttachmentUnavailable(ProviderError):
    def __init__(self):
        super().__init__("attachment_unavailable", retryable=False)


def _case_receipt(ref: str) -> Attachment:
    from amanah.cases.models import Case
    from amanah.cases.receipts import receipt_filename, receipt_for_sending

    case = (
        Case.objects.select_related("customer", "category", "branch", "created_by")
        .filter(pk=ref)
        .first()
    )
    if case is None:
        raise AttachmentUnavailable()
    try:
        content = receipt_for_sending(case)
    except ServiceError:  # the stored receipt fails its checks, or was purged: logged there
        raise AttachmentUnavailable() from None
    return Attachment(filename=receipt_filename(case), content=content, mimetype="application/pdf")


MAKERS: dict[str, Callable[[str], Attachment]] = {"cases.receipt": _case_receipt}

CASE_RECEIPT = "cases.receipt"


def reference(kind: str, ref) -> dict:
    if kind not in MAKERS:
        raise ValueError(f"unknown attachment kind {kind!r}")
    return {"kind": kind, "ref": str(ref)}


def build(refs) -> tuple[Attachment, ...]:
    """The files of a message's references, in order (none: an empty tuple)."""
    files = []
    for item in refs or ():
        maker = MAKERS.get(item.get("kind", "")) if isinstance(item, dict) else None
        if maker is None:
            raise AttachmentUnavailable()
        try:
            files.append(maker(str(item.get("ref", ""))))
        except (ValueError, LookupError, ValidationError):  # a malformed id
            raise AttachmentUnavailable() from None
    return tuple(files)
