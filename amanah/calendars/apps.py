from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "amanah.calendars"
    label = "calendars"
    verbose_name = "Working calendars"

    def ready(self) -> None:
        from amanah.calendars import policies  # noqa: F401  (declares permissions)
