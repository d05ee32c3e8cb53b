"""Run the retention job now: purge every document whose retention is over (crypto-shredding,
then the files), then remove stored files no live version refers to (documents/retention.py).
The worker runs the same daily (DOCUMENTS_RETENTION_CRON)."""

from django.core.management.base import BaseCommand

from amanah.documents.retention import retention_run


class Command(BaseCommand):
    help = "Purge documents past their retention and remove orphan document files."

    def handle(self, *args, **options):
        run = retention_run()
        self.stdout.write(
            f"Purged {run.purged} documents past their retention; "
            f"removed {run.orphans_removed} orphan files."
        )
