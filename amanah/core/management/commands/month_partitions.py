"""``amanah month_partitions [--ahead N]``: create this UTC month's partition and the next N
of every partitioned table (what the daily job ``month_partitions`` does). Idempotent.

``--move-default`` (the schema owner, in a maintenance window): give each month the default
partitions caught a partition of its own and move its rows there (docs/scaling.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from amanah.core.partitions import ensure_month_partitions, move_default_rows


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
        parser.add_argument(
            "--move-default",
            action="store_true",
            help="pindahkan baris partisi default ke partisi bulannya (pemilik skema; "
            "tabel terkunci selama pemindahan)",
        )

    def handle(self, *args, ahead, move_default, **options):
        if move_default:
            self._move_default()
            return
        for outcome in ensure_month_partitions(ahead=ahead):
            line = f"{outcome.table} {outcome.month:%Y-%m}: {outcome.outcome}"
            if outcome.outcome == "blocked":
                line += " (partisi default sudah berisi baris bulan ini; lihat docs/scaling.md)"
            self.stdout.write(line)

    def _move_default(self):
        try:
            moved = move_default_rows()
        except DatabaseError as error:
            # Typically the application role (owns nothing) or a lock not granted in 10 s.
            raise CommandError(
                "Pemindahan gagal, tidak ada yang berubah. Jalankan sebagai pemilik skema "
                f"(AMANAH_DB_ROLE=owner) di luar jam sibuk. Sebab: {type(error).__name__}"
            ) from error
        for item in moved:
            self.stdout.write(f"{item.table} {item.month:%Y-%m}: moved {item.rows}")
        if not moved:
            self.stdout.write("partisi default kosong: tidak ada yang dipindahkan")
