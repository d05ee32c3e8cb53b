"""Re-wrap every document data key under the active master key (files are not re-encrypted).

Rotation: add the new key to DOCUMENTS_MASTER_KEYS ("k2:new,k1:old"), set
DOCUMENTS_ACTIVE_KEY_ID=k2, run this command, then remove k1.
"""

from django.core.management.base import BaseCommand

from amanah.documents.services.keys import ROTATOR, keys_rotate
from amanah.documents.storage import active_key_id


class Command(BaseCommand):
    help = "Re-wrap document data keys under the active master key."

    def handle(self, *args, **options):
        count = keys_rotate(actor=ROTATOR)
        self.stdout.write(f"Re-wrapped {count} data keys under master key {active_key_id()}.")
