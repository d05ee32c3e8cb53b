from amanah.core.apps import AmanahAppConfig


class JourneysConfig(AmanahAppConfig):
    name = "amanah.journeys"
    label = "journeys"
    verbose_name = "Marketing journeys: versioned graphs, enrollments, the engine (seed 001 §6)"
