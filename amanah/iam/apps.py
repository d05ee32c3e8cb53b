from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IamConfig(AppConfig):
    name = "amanah.iam"
    label = "iam"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        from amanah.core import scopes
        from amanah.iam import authz, policies  # noqa: F401

        scopes.use_grants(authz.grants_of)

        post_migrate.connect(_seed_matrix, sender=self)


def _seed_matrix(**kwargs) -> None:
    # After every migrate, newly declared permissions get their default grants (once each).
    from amanah.iam.services import rbac_seed_defaults

    rbac_seed_defaults(using=kwargs.get("using", "default"))
