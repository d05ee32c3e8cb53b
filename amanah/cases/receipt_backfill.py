"""Issuing the receipts of cases created before receipts were kept as documents (once per
deployment, command ``amanah cases_issue_receipts``).

Before issue 18 a case's receipt was made afresh on each download and never stored; since then
every new case gets its receipt issued by a job right after it commits (``receipts``). The
back-fill issues the missing ones for the older cases, through the same ``receipt_issue``:

1. the cases are walked by key in batches (``--batch``), each batch in its own transaction;
2. one query per batch asks documents which of the batch's receipt keys were issued already
   (``generated_issued``; a purged receipt's tombstone counts) — only the rest are made;
3. each receipt is made, signed (when a certificate is configured), stored encrypted and
   audited ISSUE_DOCUMENT (``generated: cases.receipt``) by the receipt issuer, like a new
   case's; a case whose receipt cannot be made (a ServiceError) is reported and skipped, the
   rest of the batch goes on (its savepoint);
4. the run's counts are logged (no case number, no name).

Idempotent: the receipt key is UNIQUE in documents, so a second run — or a run at the same
time as the issuing job, or another run — creates nothing new and reports 0 issued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from amanah.cases import receipts
from amanah.cases.models import Case
from amanah.core.errors import ServiceError
from amanah.documents import contract as documents

logger = logging.getLogger(__name__)
BATCH = 200


@dataclass
class BackfillReport:
    seen: int = 0  # cases looked at
    issued: int = 0  # receipts made now
    failed: int = 0  # receipts that could not be made (left for the next run / a person)


def _batch(after, size: int) -> list[Case]:
    cases = Case.objects.select_related("customer", "category", "branch", "created_by")
    if after is not None:
        cases = cases.filter(pk__gt=after)
    return list(cases.order_by("pk")[:size])


def _issue_batch(cases: list[Case], report: BackfillReport) -> None:
    issued = documents.generated_issued([receipts.receipt_key(case) for case in cases])
    for case in cases:
        if receipts.receipt_key(case) in issued:
            continue
        try:
            with transaction.atomic():  # a savepoint: one bad case does not undo the batch
                made = receipts.receipt_issue(case)
        except ServiceError as error:
            report.failed += 1
            logger.warning("case receipt back-fill: a receipt could not be issued (%s)", error.code)
            continue
        report.issued += int(made.created)


def receipts_backfill(*, batch: int = BATCH) -> BackfillReport:
    """Issue every case's missing receipt, ``batch`` cases per transaction."""
    report = BackfillReport()
    after = None
    while True:
        with transaction.atomic():
            cases = _batch(after, batch)
            if not cases:
                break
            _issue_batch(cases, report)
        report.seen += len(cases)
        after = cases[-1].pk
    logger.info(
        "case receipt back-fill: %d cases seen, %d receipts issued, %d failed",
        report.seen,
        report.issued,
        report.failed,
    )
    return report
