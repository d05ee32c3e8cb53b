"""Messaging tables: the outbox (``outbox.py``), the templates (``templates.py``), engagement
(``tracking.py``) and when customers last wrote to us (``inbound.py``)."""

from amanah.messaging.models.inbound import InboundReceipt, LastInbound  # noqa: F401
from amanah.messaging.models.media import MediaAsset, MediaKind  # noqa: F401
from amanah.messaging.models.outbox import (  # noqa: F401
    Message,
    MessageEvent,
    MessageSource,
    MessageStatus,
    ProviderBucket,
)
from amanah.messaging.models.push import PushSubscription  # noqa: F401
from amanah.messaging.models.templates import (  # noqa: F401
    MessageTemplate,
    TemplateVersion,
    VersionStatus,
    WhatsAppCategory,
)
from amanah.messaging.models.tracking import Engagement, EngagementKind  # noqa: F401
