from amanah.core.apps import AmanahAppConfig


class NotificationsConfig(AmanahAppConfig):
    name = "amanah.notifications"
    label = "notifications"
    verbose_name = "In-app notifications"
