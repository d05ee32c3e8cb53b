from amanah.core.apps import AmanahAppConfig


class CasesConfig(AmanahAppConfig):
    name = "amanah.cases"
    label = "cases"
    verbose_name = "Cases and complaints"
