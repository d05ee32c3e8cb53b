from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "amanah.notifications"
    label = "notifications"
    verbose_name = "In-app notifications"

    def ready(self) -> None:
        from amanah.notifications import policies  # noqa: F401
