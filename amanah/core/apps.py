from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amanah.core"
    label = "core"
    verbose_name = "Amanah core"

    def ready(self) -> None:
        from amanah.core import policies  # noqa: F401  (declares permissions)
