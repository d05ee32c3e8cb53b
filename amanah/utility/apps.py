from amanah.core.apps import AmanahAppConfig


class UtilityConfig(AmanahAppConfig):
    name = "amanah.utility"
    label = "utility"
    verbose_name = "Utility (PDAM): service areas, SPAM, pelanggan, tariffs, readings, bills"
