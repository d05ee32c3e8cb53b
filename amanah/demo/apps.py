from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "amanah.demo"
    label = "demo"
    verbose_name = "Demo data"
