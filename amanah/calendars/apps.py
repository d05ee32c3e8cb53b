from amanah.core.apps import AmanahAppConfig


class CalendarsConfig(AmanahAppConfig):
    name = "amanah.calendars"
    label = "calendars"
    verbose_name = "Working calendars"
