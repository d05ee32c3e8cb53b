"""Issue the receipts of cases created before receipts were kept as documents: batched and
idempotent (a second run issues nothing); every receipt audited ISSUE_DOCUMENT
(cases/receipt_backfill.py)."""

from django.core.management.base import BaseCommand

from amanah.cases.receipt_backfill import BATCH, receipts_backfill


class Command(BaseCommand):
    help = "Issue (make, sign, store) the missing receipts of older cases."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="cases per transaction")

    def handle(self, *args, batch=BATCH, **options):
        report = receipts_backfill(batch=max(batch, 1))
        self.stdout.write(
            f"Looked at {report.seen} cases; issued {report.issued} receipts; "
            f"{report.failed} could not be issued (see the log; run again to retry)."
        )
