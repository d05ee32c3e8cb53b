"""Move the case attachments kept before documents existed into documents (encrypted), then
delete their plaintext files. Idempotent and batched: run it once after upgrading, and again
whenever it reports rows left (cases/legacy_attachments.py)."""

from django.core.management.base import BaseCommand

from amanah.cases.legacy_attachments import BATCH, attachments_move


class Command(BaseCommand):
    help = "Move legacy case attachments into encrypted documents and remove the plaintext."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="rows per transaction")
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=None,
            help="unreferenced plaintext files older than this are removed "
            "(default DOCUMENTS_ORPHAN_GRACE_SECONDS)",
        )

    def handle(self, *args, batch=BATCH, grace_seconds=None, **options):
        report = attachments_move(batch=max(batch, 1), grace_seconds=grace_seconds)
        self.stdout.write(
            f"Moved {report.moved} case attachments into documents; removed "
            f"{report.files_removed} unreferenced plaintext files; left {report.left} "
            f"(missing file {report.missing}, changed {report.changed}, "
            f"refused {report.refused})."
        )
        if report.left:
            self.stdout.write("Rows left stay in place with their files: see the log.")
