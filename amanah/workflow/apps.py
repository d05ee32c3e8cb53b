from django.db.models.signals import post_migrate

from amanah.core.apps import AmanahAppConfig


class WorkflowConfig(AmanahAppConfig):
    name = "amanah.workflow"
    label = "workflow"
    verbose_name = "Workflow engine: transitions as data, history, reverts"

    def ready(self) -> None:
        super().ready()
        post_migrate.connect(_sync_workflows, sender=self)


def _sync_workflows(**kwargs) -> None:
    # After every migrate (and every test flush), declared workflows reach the tables; once.
    from amanah.workflow.services import workflow_sync

    workflow_sync(using=kwargs.get("using", "default"))
