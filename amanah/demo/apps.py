from amanah.core.apps import AmanahAppConfig


class DemoConfig(AmanahAppConfig):
    name = "amanah.demo"
    label = "demo"
    verbose_name = "Demo data"
