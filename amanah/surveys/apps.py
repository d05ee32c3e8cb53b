from amanah.core.apps import AmanahAppConfig


class SurveysConfig(AmanahAppConfig):
    name = "amanah.surveys"
    label = "surveys"
    verbose_name = "Surveys: CSAT after close, CES, NPS (seed 001 §9)"
