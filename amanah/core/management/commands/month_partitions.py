"""``amanah month_partitions [--ahead N]``: create this UTC month's partition and the next N
of every partitioned table (what the daily job ``month_partitions`` does). Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from amanah.core.partitions import ensure_month_partitions


class Command(BaseCommand):
    help = "Buat partisi bulanan (UTC) bulan ini dan beberapa bulan ke depan; aman diulang."

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            default=settings.PARTITION_MONTHS_AHEAD,
            choices=range(0, 25),
            metavar="0-24",
            help="berapa bulan ke depan (bawaan: PARTITION_MONTHS_AHEAD)",
        )

    def handle(self, *args, ahead, **options):
        for outcome in ensure_month_partitions(ahead=ahead):
            line = f"{outcome.table} {outcome.month:%Y-%m}: {outcome.outcome}"
            if outcome.outcome == "blocked":
                line += " (partisi default sudah berisi baris bulan ini; lihat docs/scaling.md)"
            self.stdout.write(line)
