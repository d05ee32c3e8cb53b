from django.conf import settings

from amanah.core.apps import AmanahAppConfig


class CasesConfig(AmanahAppConfig):
    name = "amanah.cases"
    label = "cases"
    verbose_name = "Cases and complaints"

    def ready(self) -> None:
        super().ready()
        if settings.CASE_CLASSIFIER_PROFILE:
            # scikit-learn takes seconds to import (more under load): in a deployment whose
            # complaints are classified, every process pays it when it starts (a gunicorn
            # worker before it serves), not the first complaint it serves.
            from amanah.cases.classifier import engine

            engine.import_runtime()
