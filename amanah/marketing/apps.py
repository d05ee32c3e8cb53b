from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "amanah.marketing"
    label = "marketing"
    verbose_name = "Marketing (consent-aware)"

    def ready(self) -> None:
        from amanah.marketing import contract, policies  # noqa: F401  (360 hooks)
