from amanah.core.apps import AmanahAppConfig


class ConsentConfig(AmanahAppConfig):
    name = "amanah.consent"
    label = "consent"
    verbose_name = "Consent (UU PDP)"
