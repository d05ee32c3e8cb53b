import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from amanah.core.actors import SystemActor
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey
from amanah.iam import services
from amanah.iam.models import Branch


class Command(BaseCommand):
    help = "Create a user from the command line (e.g. the first ADMIN); audited as cli:<os user>."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--role", action="append", required=True, choices=RoleKey.values)
        parser.add_argument("--branch", action="append", default=[], help="branch code in scope")
        parser.add_argument("--home-branch", default=None)
        parser.add_argument("--password-stdin", action="store_true")

    def handle(self, *args, **o):
        password = sys.stdin.readline().rstrip("\n") if o["password_stdin"] else getpass.getpass()
        try:
            branches = {
                b.code: b
                for b in Branch.objects.filter(code__in=o["branch"] + [o["home_branch"] or ""])
            }
            missing = set(o["branch"]) - set(branches)
            if missing:
                raise CommandError(f"unknown branch code(s): {', '.join(sorted(missing))}")
            scopes = [services.ScopeInput(branch=branches[c]) for c in o["branch"]]
            user = services.user_create(
                actor=SystemActor(f"cli:{os.environ.get('USER', 'unknown')}"),
                username=o["username"],
                full_name=o["full_name"],
                email=o["email"],
                password=password,
                roles=o["role"],
                scopes=scopes or [services.ScopeInput(branch=None)],
                home_branch=branches.get(o["home_branch"]),
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"created {user.username} ({', '.join(user.role_keys())})")
