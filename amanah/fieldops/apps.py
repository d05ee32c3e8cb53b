from amanah.core.apps import AmanahAppConfig


class FieldopsConfig(AmanahAppConfig):
    name = "amanah.fieldops"
    label = "fieldops"
    verbose_name = "Field operations"
