from amanah.core.apps import AmanahAppConfig


class CustomersConfig(AmanahAppConfig):
    name = "amanah.customers"
    label = "customers"
    verbose_name = "Customers"
