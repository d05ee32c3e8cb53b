import sys

from django.core.management.base import BaseCommand

from amanah.audit.services import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit hash chain; exit 1 and name the first broken row if any."

    def handle(self, *args, **options):
        report = verify_chain()
        self.stdout.write(str(report))
        if not report.ok:
            sys.exit(1)
