from amanah.core.apps import AmanahAppConfig


class PaymentsConfig(AmanahAppConfig):
    name = "amanah.payments"
    label = "payments"
    verbose_name = "Payments"
