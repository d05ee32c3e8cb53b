from amanah.core.apps import AmanahAppConfig


class SalesConfig(AmanahAppConfig):
    name = "amanah.sales"
    label = "sales"
    verbose_name = "Sales: leads, RM activities, opportunities, service-to-sell"
