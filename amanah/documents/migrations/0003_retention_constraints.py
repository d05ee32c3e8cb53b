from django.db import migrations, models


class Migration(migrations.Migration):
    """The retention rules as CHECKs, once 0002 has filled ``retain_until`` in its own
    transaction (an ALTER TABLE after an UPDATE in one transaction may meet pending trigger
    events)."""

    dependencies = [
        ("documents", "0002_retention_and_legal_hold"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='document',
            index=models.Index(condition=models.Q(('legal_hold', False), ('purged_at__isnull', True)), fields=['retain_until'], name='document_retention_due'),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('retain_until__isnull', True), ('retention', 'PERMANENT')), models.Q(models.Q(('retention', 'PERMANENT'), _negated=True), ('retain_until__isnull', False)), _connector='OR'), name='document_retain_until_by_class'),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.CheckConstraint(condition=models.Q(('purged_at__isnull', True), models.Q(('legal_hold', False), ('purged_at__gte', models.F('retain_until')), ('retain_until__isnull', False)), _connector='OR'), name='document_purged_only_when_due_and_not_held'),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.CheckConstraint(condition=models.Q(('legal_hold', False), models.Q(('legal_hold_reason', ''), _negated=True), _connector='OR'), name='document_legal_hold_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='documentversion',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('shredded_at__isnull', True), models.Q(('key_id', ''), _negated=True)), models.Q(('key_id', ''), ('shredded_at__isnull', False)), _connector='OR'), name='document_version_key_until_shredded'),
        ),
    ]
