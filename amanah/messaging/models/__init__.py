"""Messaging tables: the outbox (``outbox.py``) and the templates (``templates.py``)."""

from amanah.messaging.models.outbox import (  # noqa: F401
    Message,
    MessageEvent,
    MessageSource,
    MessageStatus,
    ProviderBucket,
)
from amanah.messaging.models.templates import (  # noqa: F401
    MessageTemplate,
    TemplateVersion,
    VersionStatus,
    WhatsAppCategory,
)
from amanah.messaging.models.tracking import Engagement, EngagementKind  # noqa: F401
