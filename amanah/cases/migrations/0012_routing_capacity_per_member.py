"""Capacity per routing member (issue 16): a default on the rule, an override per member.

Existing rules take their members' most common capacity as the default; members with that
capacity lose their override (same effective value), the others keep theirs."""

from collections import Counter

from django.db import migrations, models


def forwards(apps, schema_editor):
    RoutingRule = apps.get_model("cases", "RoutingRule")
    RoutingMember = apps.get_model("cases", "RoutingMember")
    for rule in RoutingRule.objects.all():
        capacities = list(
            RoutingMember.objects.filter(rule=rule).values_list("capacity", flat=True)
        )
        if not capacities:
            continue
        default = Counter(capacities).most_common(1)[0][0]
        rule.default_capacity = default
        rule.save(update_fields=["default_capacity"])
        RoutingMember.objects.filter(rule=rule, capacity=default).update(capacity=None)


def backwards(apps, schema_editor):
    RoutingRule = apps.get_model("cases", "RoutingRule")
    RoutingMember = apps.get_model("cases", "RoutingMember")
    for rule in RoutingRule.objects.all():
        RoutingMember.objects.filter(rule=rule, capacity__isnull=True).update(
            capacity=rule.default_capacity
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_routing_rules")]

    operations = [
        migrations.AddField(
            model_name="routingrule",
            name="default_capacity",
            field=models.PositiveSmallIntegerField(default=20),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(default_capacity__gte=1),
                name="routing_rule_default_capacity_1",
            ),
        ),
        migrations.AlterField(
            model_name="routingmember",
            name="capacity",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
