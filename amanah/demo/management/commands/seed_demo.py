from importlib import import_module

from django.core.management.base import BaseCommand

from amanah.core import profiles


def demo_module():
    """The module of the deployment profile's demo (``Profile.demo_seed``)."""
    return import_module(profiles.current().demo_seed.split(":")[0])


class Command(BaseCommand):
    help = (
        "Load the demo data of the deployment profile (AMANAH_PROFILE: bank, seed 003 Bab 14.2; "
        "pdam, a Perumda Air Minum) when the database has none."
    )

    def handle(self, *args, **options):
        module_name, function = profiles.current().demo_seed.split(":")
        created = getattr(import_module(module_name), function)()
        self.stdout.write(
            f"demo data loaded: {', '.join(created)}" if created else "demo data already present"
        )
