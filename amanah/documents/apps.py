from amanah.core.apps import AmanahAppConfig


class DocumentsConfig(AmanahAppConfig):
    name = "amanah.documents"
    label = "documents"
    verbose_name = "Documents"
