from amanah.core.apps import AmanahAppConfig


class MarketingConfig(AmanahAppConfig):
    name = "amanah.marketing"
    label = "marketing"
    verbose_name = "Marketing (consent-aware)"
