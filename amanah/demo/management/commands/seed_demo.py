from django.core.management.base import BaseCommand

from amanah.demo.services import demo_seed


class Command(BaseCommand):
    help = "Load the demo data (seed 003 Bab 14.2) when the database has none."

    def handle(self, *args, **options):
        created = demo_seed()
        self.stdout.write(
            f"demo data loaded: {', '.join(created)}" if created else "demo data already present"
        )
