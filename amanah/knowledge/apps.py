from amanah.core.apps import AmanahAppConfig


class KnowledgeConfig(AmanahAppConfig):
    name = "amanah.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"
