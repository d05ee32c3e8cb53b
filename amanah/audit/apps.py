from amanah.core.apps import AmanahAppConfig


class AuditConfig(AmanahAppConfig):
    name = "amanah.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from amanah.audit.models import AuditLog
        from amanah.core import dbroles

        super().ready()
        # The application role may only append to the trail and read it.
        dbroles.declare_append_only(AuditLog._meta.db_table)
