from amanah.core.apps import AmanahAppConfig


class PrivacyConfig(AmanahAppConfig):
    name = "amanah.privacy"
    label = "privacy"
    verbose_name = "UU PDP rights: access export, corrections, breach notification, retention"
