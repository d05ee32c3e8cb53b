from django.core.management.base import BaseCommand

from amanah.audit.chain import checkpoint_write


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit chain's head to AUDIT_CHECKPOINT_DIR."

    def handle(self, *args, **options):
        checkpoint = checkpoint_write()
        if checkpoint is None:
            self.stdout.write("The audit trail is empty: nothing to checkpoint.")
        else:
            self.stdout.write(f"Checkpoint: audit row {checkpoint.id} at {checkpoint.at}")
