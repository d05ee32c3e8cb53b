from django.db.models.signals import post_migrate

from amanah.core.apps import AmanahAppConfig


class IamConfig(AmanahAppConfig):
    name = "amanah.iam"
    label = "iam"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        super().ready()
        post_migrate.connect(_seed_matrix, sender=self)


def _seed_matrix(**kwargs) -> None:
    # After every migrate, newly declared permissions get their default grants (once each).
    from amanah.iam.services import rbac_seed_defaults

    rbac_seed_defaults(using=kwargs.get("using", "default"))
