from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amanah.core"
    label = "core"
    verbose_name = "Amanah core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from amanah.core import dbroles, policies  # noqa: F401  (declares permissions)

        post_migrate.connect(dbroles.grant_after_migrate, sender=self)
