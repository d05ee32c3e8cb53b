from django.db import migrations

from amanah.core.partitions import SQL_FUNCTIONS, SQL_FUNCTIONS_REVERSE


class Migration(migrations.Migration):
    """The SQL functions that create and seal monthly partitions (``amanah.core.partitions``):
    SECURITY DEFINER, so the daily job can keep partitions ahead while running as the
    application role, which may create no table itself."""

    dependencies = [("core", "0002_ratecounter")]
    operations = [migrations.RunSQL(SQL_FUNCTIONS, SQL_FUNCTIONS_REVERSE)]
