"""Suppression (do-not-contact) now belongs to consent: the marketing table is renamed, so
every row is kept; the model state is created here and was removed from marketing by
marketing 0003_suppression_moves_to_consent."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_initial"),
        ("customers", "0001_initial"),
        ("marketing", "0003_suppression_moves_to_consent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE marketing_suppression RENAME TO consent_suppression",
                    reverse_sql="ALTER TABLE consent_suppression RENAME TO marketing_suppression",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("reason", models.CharField(max_length=200)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "customer",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="suppression",
                                to="customers.customer",
                            ),
                        ),
                    ],
                ),
            ],
        ),
    ]
