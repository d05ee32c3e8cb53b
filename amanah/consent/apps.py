from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "amanah.consent"
    label = "consent"
    verbose_name = "Consent (UU PDP)"

    def ready(self) -> None:
        from amanah.consent import contract, policies  # noqa: F401  (merge movers)
