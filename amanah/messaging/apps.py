from amanah.core.apps import AmanahAppConfig


class MessagingConfig(AmanahAppConfig):
    name = "amanah.messaging"
    label = "messaging"
    verbose_name = "Messaging hub"
    loaded_modules = (*AmanahAppConfig.loaded_modules, "checks")  # the channels' system checks
