"""``amanah cases_issue_receipts`` issues the receipts of cases created before receipts were kept
as documents: batched, each receipt audited ISSUE_DOCUMENT, idempotent (a second run issues
nothing), and a case whose receipt cannot be made is reported and left for the next run while
the rest of its batch is issued."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from amanah.audit.models import AuditLog
from amanah.cases import receipt_backfill, receipts
from amanah.core.errors import ServiceError
from amanah.documents.models import Document


def _receipts() -> dict[str, Document]:
    return {
        d.owner_id: d for d in Document.objects.filter(owner_kind="cases.Case", doc_type="RECEIPT")
    }


def _issued_audits() -> int:
    return AuditLog.objects.filter(action="ISSUE_DOCUMENT", meta__generated="cases.receipt").count()


def test_the_back_fill_issues_each_missing_receipt_once(open_case, monkeypatch):
    older = [open_case() for _ in range(4)]  # their issuing jobs never ran (before the release)
    newer = open_case()
    receipts.receipt_issue(newer)  # a case of this release: issued by its job
    assert set(_receipts()) == {str(newer.pk)} and _issued_audits() == 1

    # one case's receipt cannot be made this time: reported, the rest of its batch goes on
    issue = receipts.receipt_issue
    broken = older[1]

    def flaky(case):
        if case.pk == broken.pk:
            raise ServiceError("document_tampered", "rusak")
        return issue(case)

    monkeypatch.setattr(receipts, "receipt_issue", flaky)
    report = receipt_backfill.receipts_backfill(batch=2)
    assert (report.seen, report.issued, report.failed) == (5, 3, 1)
    assert set(_receipts()) == {str(c.pk) for c in [*older, newer]} - {str(broken.pk)}
    monkeypatch.setattr(receipts, "receipt_issue", issue)

    # the command: the one left is issued now; every receipt audited once, one version each
    out = io.StringIO()
    call_command("cases_issue_receipts", "--batch", "3", stdout=out)
    assert "issued 1 receipts" in out.getvalue()
    issued = _receipts()
    assert set(issued) == {str(c.pk) for c in [*older, newer]}
    assert all(d.is_generated and d.versions.count() == 1 for d in issued.values())
    assert _issued_audits() == 5

    # idempotent: a second run creates nothing
    before = (Document.objects.count(), AuditLog.objects.count())
    again = receipt_backfill.receipts_backfill(batch=2)
    assert (again.seen, again.issued, again.failed) == (5, 0, 0)
    assert (Document.objects.count(), AuditLog.objects.count()) == before


@pytest.mark.parametrize("batch", ["0", "-5"])
def test_a_silly_batch_size_still_works(open_case, batch):
    case = open_case()
    call_command("cases_issue_receipts", "--batch", batch, stdout=io.StringIO())
    assert set(_receipts()) == {str(case.pk)}
