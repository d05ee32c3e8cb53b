from amanah.core.apps import AmanahAppConfig


class FollowupConfig(AmanahAppConfig):
    name = "amanah.followup"
    label = "followup"
    verbose_name = "Follow-up desk: members rotating across agents (seed 004)"
