"""Write a SELF-SIGNED organisation certificate and key for signing documents (demo only)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from amanah.documents.democert import make_self_signed


class Command(BaseCommand):
    help = "Generate a self-signed demo signing certificate (NOT legally certified)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="replace an existing pair")

    def handle(self, *args, force=False, **options):
        cert, key = Path(settings.DOCUMENTS_SIGNING_CERT), Path(settings.DOCUMENTS_SIGNING_KEY)
        if (cert.exists() or key.exists()) and not force:
            self.stdout.write(
                f"A signing certificate exists already: {cert} (use --force). The demo's is "
                "SELF-SIGNED: it proves nothing about who signed (docs/documents.md)."
            )
            return
        make_self_signed(cert, key)
        self.stdout.write(
            f"Wrote a SELF-SIGNED demo certificate {cert} and key {key}.\n"
            "Self-signed: it proves nothing about who signed. A legally certified signature in "
            "Indonesia needs a certificate from a licensed provider (PSrE); set "
            "DOCUMENTS_SIGNING_CERT / DOCUMENTS_SIGNING_KEY to it."
        )
