from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "amanah.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from amanah.customers import contract, merge, policies  # noqa: F401  (movers, workflow)
        from amanah.iam.policies import PII_REVEAL
        from amanah.iam.services import REVEALABLE

        # Masked by default on every page and API answer; revealed one at a time, audited.
        REVEALABLE[("customers.Customer", "phone_e164")] = ("phone", PII_REVEAL)
        REVEALABLE[("customers.Customer", "email")] = ("email", PII_REVEAL)
        REVEALABLE[("customers.CustomerIdentifier", "id_value")] = ("account", PII_REVEAL)
