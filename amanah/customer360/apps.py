from django.apps import AppConfig


class Customer360Config(AppConfig):
    name = "amanah.customer360"
    label = "customer360"
    verbose_name = "Customer 360"

    def ready(self) -> None:
        from amanah.customer360 import policies, providers  # noqa: F401  (registers built-ins)
