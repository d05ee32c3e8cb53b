"""``amanah followup_sweep``: run the rotation sweep now — what the worker's periodic job does
every five minutes (idempotent: a second run finds nothing due). For an operator after a
worker outage, and for the end-to-end test. It takes no time of its own: the sweep runs at the
real clock, so it can move nobody whose window has not ended (no manual move, DESIGN §6)."""

from django.core.management.base import BaseCommand

from amanah.followup.sweep import rotation_sweep


class Command(BaseCommand):
    help = "Run the follow-up desk's rotation sweep now (as the periodic job does)."

    def handle(self, *args, **options):
        result = rotation_sweep()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.as_dict().items()))
