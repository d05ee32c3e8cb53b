from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig


class AmanahAppConfig(AppConfig):
    """The one ``ready()`` of every Amanah app: load its ``policies.py``, then its ``contract.py``.

    ``policies`` declares the app's permissions; ``contract`` registers everything the app
    offers the rest of the house into ``core.registry`` (menu, 360 parts, merge movers, event
    handlers …). Nothing else is imported for its side effects.
    """

    loaded_modules = ("policies", "contract")
    # Django picks the one AppConfig of an apps.py that is not ``default = False``; this base
    # class is imported into every apps.py, so it steps aside and its subclasses step in.
    default = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.default = cls.__dict__.get("default", True)

    def ready(self) -> None:
        for module in self.loaded_modules:
            dotted = f"{self.name}.{module}"
            if find_spec(dotted) is not None:
                import_module(dotted)


class CoreConfig(AmanahAppConfig):
    name = "amanah.core"
    label = "core"
    verbose_name = "Amanah core"
    loaded_modules = (*AmanahAppConfig.loaded_modules, "checks")  # system checks (deploy)

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from amanah.core import dbroles

        super().ready()
        post_migrate.connect(dbroles.grant_after_migrate, sender=self)
