from amanah.core.apps import AmanahAppConfig


class MessagingConfig(AmanahAppConfig):
    name = "amanah.messaging"
    label = "messaging"
    verbose_name = "Messaging hub"
