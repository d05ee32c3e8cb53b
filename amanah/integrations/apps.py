from amanah.core.apps import AmanahAppConfig


class IntegrationsConfig(AmanahAppConfig):
    name = "amanah.integrations"
    label = "integrations"
    verbose_name = "Integrations"
