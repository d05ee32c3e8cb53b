from amanah.core.apps import AmanahAppConfig


class DashboardsConfig(AmanahAppConfig):
    name = "amanah.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
