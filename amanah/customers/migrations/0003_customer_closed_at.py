from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_customer_branch_name_gist"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
