from django.contrib.postgres.operations import CITextExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Extensions the schema relies on (seed 003 Bab 13.2): citext and pg_trgm."""

    initial = True
    dependencies = []
    operations = [CITextExtension(), TrigramExtension()]
