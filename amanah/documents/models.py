"""Documents of any owner (a case, a customer …), their immutable versions, and signatures.

Scope follows the owner: ``Document.objects.visible_to(actor)`` keeps the documents whose owner
the actor may see through the owner model's own ``visible_to`` (``owners.visible_documents``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.documents.doctypes import TYPES, DocumentStatus, Retention
from amanah.documents.policies import DOCUMENT_VIEW


class SignatureStatus(models.TextChoices):
    NONE = "NONE", _("Tidak bertanda tangan")
    VALID = "VALID", _("Tanda tangan utuh")
    MODIFIED = "MODIFIED", _("Diubah setelah ditandatangani")
    INVALID = "INVALID", _("Tanda tangan tidak sah")
    UNTRUSTED = "UNTRUSTED", _("Utuh, tetapi penanda tangan tidak dipercaya")


class Document(models.Model):
    """One document of one owner (``owner_kind`` names a registered kind, ``owner_id`` its
    primary key as text). Its content is in :class:`DocumentVersion`; the status moves only
    through the workflow engine (DRAFT → SUBMITTED → APPROVED/REJECTED, four eyes).

    Retention: kept until ``retain_until`` (its class's period after its newest version; NULL
    for PERMANENT), then purged by the retention job (``documents/retention.py``) unless under
    ``legal_hold``. A purged document stays as a tombstone (type, dates, sizes, hashes) with
    its title scrubbed and every version's data key destroyed; the CHECKs below hold the rule
    in the database too: never purged while held or before its time.

    Generated (``generated_key`` set): a PDF the system made, signed when a certificate is
    configured and stored once per key (UNIQUE), e.g. the receipt issued for a case; what was
    issued is what is kept, so it takes no new version and no later signature.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_kind = models.CharField(max_length=64)
    owner_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    doc_type = models.CharField(max_length=32, choices=[(c, t.label) for c, t in TYPES.items()])
    retention = models.CharField(max_length=16, choices=Retention.choices)
    status = models.CharField(
        max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    retain_until = models.DateTimeField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.TextField(blank=True)
    legal_hold_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # A PDF the system made and issued (the case receipt): its key, one document per key
    # ("cases.receipt:<case id>"); NULL for an upload. It takes no new version.
    generated_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner_kind", "owner_id"], name="document_owner"),
            # The retention job's question: what is due and may go (small: only live rows).
            models.Index(
                fields=["retain_until"],
                name="document_retention_due",
                condition=Q(purged_at__isnull=True, legal_hold=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(retention=Retention.PERMANENT, retain_until__isnull=True)
                | (~Q(retention=Retention.PERMANENT) & Q(retain_until__isnull=False)),
                name="document_retain_until_by_class",
            ),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=True)
                | Q(legal_hold=False, retain_until__isnull=False, purged_at__gte=F("retain_until")),
                name="document_purged_only_when_due_and_not_held",
            ),
            models.CheckConstraint(
                condition=Q(legal_hold=False) | ~Q(legal_hold_reason=""),
                name="document_legal_hold_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DocumentStatus.values), name="document_status_known"
            ),
            models.CheckConstraint(
                condition=Q(retention__in=Retention.values), name="document_retention_known"
            ),
            models.CheckConstraint(
                condition=Q(doc_type__in=list(TYPES)), name="document_type_known"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_empty"),
            models.CheckConstraint(
                condition=~Q(generated_key=""), name="document_generated_key_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_generated(self) -> bool:
        return bool(self.generated_key)


class DocumentVersion(models.Model):
    """One upload, never changed: who, when, size, sha256 of the plaintext, the sniffed type.

    The bytes live encrypted outside the database under ``stored_name`` (AES-256-GCM with a
    random data key of this version, the version id as associated data); ``wrapped_key`` is
    that data key wrapped by the master key ``key_id`` (outside the database). Rotation
    re-wraps ``wrapped_key`` only. Exactly one version of a document is current.

    Purged (``shredded_at``): the wrapped key is destroyed (crypto-shredding — the file can no
    longer be decrypted by anyone), the name scrubbed, then the file deleted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    original_name = models.CharField(max_length=200)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80, unique=True)
    key_id = models.CharField(max_length=32)
    wrapped_key = models.BinaryField()
    signature_status = models.CharField(
        max_length=16, choices=SignatureStatus.choices, default=SignatureStatus.NONE
    )
    signature_detail = models.JSONField(default=dict, blank=True)
    signature_checked_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=now)
    shredded_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(shredded_at__isnull=True) & ~Q(key_id=""))
                | Q(shredded_at__isnull=False, key_id=""),
                name="document_version_key_until_shredded",
            ),
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number"),
            models.UniqueConstraint(
                fields=["document"], condition=Q(is_current=True), name="document_one_current"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="document_version_from_1"),
            models.CheckConstraint(
                condition=Q(signature_status__in=SignatureStatus.values),
                name="document_signature_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.number}"


def _visible_documents(queryset, actor):
    from amanah.documents.owners import visible_documents

    return visible_documents(queryset, actor)


def _owner_of(document):
    """The row a document belongs to (for a row grant on it: break-glass on a customer)."""
    from amanah.documents.owners import owner_row

    return owner_row(document)


scopes.register(Document, view=DOCUMENT_VIEW, rule=_visible_documents, parent=_owner_of)
scopes.register(DocumentVersion, via="document")
