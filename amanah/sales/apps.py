from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "amanah.sales"
    label = "sales"
    verbose_name = "Sales: leads, RM activities, opportunities, service-to-sell"

    def ready(self) -> None:
        from amanah.sales import contract, policies  # noqa: F401  (360 hooks, merge movers)
