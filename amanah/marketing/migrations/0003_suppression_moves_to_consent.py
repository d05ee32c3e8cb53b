"""Suppression (do-not-contact) moves to the consent app; its rows stay where they are.

Only Django's model state changes here: the table is renamed (rows kept) by
consent 0003_suppression_from_marketing, which runs after this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0002_eligibility_partial_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Suppression")],
            database_operations=[],
        ),
    ]
