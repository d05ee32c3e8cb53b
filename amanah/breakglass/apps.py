from amanah.core.apps import AmanahAppConfig


class BreakglassConfig(AmanahAppConfig):
    name = "amanah.breakglass"
    label = "breakglass"
    verbose_name = "Break-glass: time-boxed, audited access to one customer (seed 003 Bab 6.3.5)"
