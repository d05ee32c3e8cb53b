from django.db import migrations


class Migration(migrations.Migration):
    """The GiST led by the branch (0002) answered branch-scoped name search by reading every
    index entry of the branches in scope: its cost grew with the bank. A few branches now ask
    their partial trigram GINs (0004), more branches the whole bank's GIN; nothing names its
    expression any more (docs/benchmarks.md, issue 21). Reversible: the reverse builds it again."""

    dependencies = [
        ("customers", "0004_branch_name_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_branch_name_gist",
        ),
    ]
