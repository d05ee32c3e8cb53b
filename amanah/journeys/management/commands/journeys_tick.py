"""``amanah journeys_tick``: what the worker's periodic journey jobs do, now — the segments of
segment-triggered journeys evaluated (new members enter) and one engine tick (every due
enrollment advanced). Idempotent. For an operator after a worker outage, and for the
end-to-end test. It takes no time of its own: it runs at the real clock, so it advances
nobody whose wait has not ended."""

from django.core.management.base import BaseCommand
from django.db import transaction

from amanah.journeys.engine import tick
from amanah.journeys.triggers import segment_entries


class Command(BaseCommand):
    help = "Run the journey jobs now: segment entries, then one engine tick."

    def handle(self, *args, **options):
        with transaction.atomic():
            entered = segment_entries()
        advanced = tick()
        self.stdout.write(
            f"entered={sum(entered.values())} "
            + " ".join(f"{k}={v}" for k, v in sorted(advanced.items()))
        )
