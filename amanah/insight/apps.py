from amanah.core.apps import AmanahAppConfig


class InsightConfig(AmanahAppConfig):
    name = "amanah.insight"
    label = "insight"
    verbose_name = "Insight: transactions, RFM + CLV proxy, alerts"
