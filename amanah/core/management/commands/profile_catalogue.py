from django.core.management.base import BaseCommand

from amanah.core import profile_catalogue
from amanah.core.profiles import PROFILES


class Command(BaseCommand):
    help = (
        "Write and compile each deployment profile's own catalogue (vocabulary, role titles) "
        "from the house's; run by `make messages` after the English catalogue is updated."
    )

    def handle(self, *args, **options):
        for profile in PROFILES.values():
            for path in profile_catalogue.write(profile):
                self.stdout.write(f"{profile.key}: {path}")
