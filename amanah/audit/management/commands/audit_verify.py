import sys

from django.core.management.base import BaseCommand

from amanah.audit.chain import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the keyed audit chain and hold it against the signed checkpoints; exit 1 and "
        "name the first broken row (or the truncated tail) if any."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        self.stdout.write(str(report))
        if not report.ok:
            sys.exit(1)
