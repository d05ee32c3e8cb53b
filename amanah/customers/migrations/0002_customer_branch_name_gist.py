import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations
from django.db.models import F


class Migration(migrations.Migration):
    """A GiST index led by the branch for branch-scoped fuzzy name search (issue 3 benchmark)."""

    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.AddIndex(
            model_name="customer",
            index=django.contrib.postgres.indexes.GistIndex(
                F("home_branch"),
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Lower("name_search"), name="gist_trgm_ops"
                ),
                name="customer_branch_name_gist",
            ),
        ),
    ]
