from django.core.management.base import BaseCommand, CommandError

from amanah.customers import name_indexes
from amanah.iam.models import Branch


class Command(BaseCommand):
    help = (
        "Check that every branch has its name-search index (customers.name_indexes); "
        "--repair builds the missing and invalid ones CONCURRENTLY and drops orphans."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="build / drop what differs")

    def handle(self, *args, **options):
        found = name_indexes.ensure() if options["repair"] else name_indexes.status()
        codes = dict(Branch.objects.values_list("pk", "code"))
        for branch_id in found.missing:
            code = next((c for pk, c in codes.items() if str(pk) == branch_id), branch_id)
            self.stdout.write(f"missing: branch {code} ({name_indexes.index_name(branch_id)})")
        for name in found.invalid:
            self.stdout.write(f"invalid (an interrupted build): {name}")
        for name in found.orphaned:
            self.stdout.write(f"orphaned (no such branch): {name}")
        if found.healthy:
            self.stdout.write(f"ok: {len(codes)} branches, each with its name index")
        elif options["repair"] and not found.repaired:
            raise CommandError(
                "this database role may not build indexes: run it as the owner "
                "(AMANAH_DB_ROLE=owner, as `amanah migrate` does)"
            )
        elif options["repair"]:
            self.stdout.write("repaired")
        else:
            raise CommandError("name indexes differ from the branches; run with --repair")
