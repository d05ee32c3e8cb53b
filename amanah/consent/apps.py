from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "amanah.consent"
    label = "consent"
    verbose_name = "Consent (UU PDP)"

    def ready(self) -> None:
        from amanah.consent import policies  # noqa: F401
        from amanah.consent.services import consent_move_to_survivor
        from amanah.customers.merge import register_mover

        register_mover("consent.records", consent_move_to_survivor)
