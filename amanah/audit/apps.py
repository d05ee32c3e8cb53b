from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "amanah.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from amanah.audit import policies  # noqa: F401
        from amanah.audit.models import AuditLog
        from amanah.core import dbroles

        # The application role may only append to the trail and read it.
        dbroles.declare_append_only(AuditLog._meta.db_table)
