from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "amanah.cases"
    label = "cases"
    verbose_name = "Cases and complaints"

    def ready(self) -> None:
        from amanah.cases import contract, policies  # noqa: F401  (360 hooks, merge mover)
