from django.core.management.base import BaseCommand

from amanah.messaging.template_defaults import templates_install_defaults


class Command(BaseCommand):
    help = (
        "Install the default SERVICE/STAFF message templates that are missing (case receipt, "
        "status update, final response, SLA digest); never overwrites an existing one."
    )

    def handle(self, *args, **options):
        created = templates_install_defaults()
        self.stdout.write(
            "default message templates installed: "
            + ", ".join(f"{t.key} ({t.channel})" for t in created)
            if created
            else "default message templates already present"
        )
