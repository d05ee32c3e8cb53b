from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "amanah.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from amanah.audit import policies  # noqa: F401
