from amanah.core.apps import AmanahAppConfig


class Customer360Config(AmanahAppConfig):
    name = "amanah.customer360"
    label = "customer360"
    verbose_name = "Customer 360"
