"""IN_APP to staff through ``notifications`` (the inbox and its unread badge).

The notification is written in the dispatcher's send transaction, keyed by the outbox id
(``dedupe_key``): it commits together with the message's SENT, or not at all, and a re-send
after a crash inserts nothing — exactly once without anything to dedupe elsewhere.
"""

from __future__ import annotations

import uuid

from amanah.messaging.providers.base import Accepted, OutgoingMessage, ProviderError
from amanah.notifications.contract import Message as Notice
from amanah.notifications.contract import notify_many


class InAppProvider:
    name = "in-app"
    channel = "IN_APP"

    def send(self, message: OutgoingMessage) -> Accepted:
        try:
            user_id = uuid.UUID(message.to)
        except ValueError:
            raise ProviderError("inapp_bad_user", retryable=False) from None
        notify_many(
            [
                Notice(
                    user_id=user_id,
                    title=message.subject or message.text[:200],
                    body=message.text,
                    url=message.media_url,
                    dedupe_key=f"messaging:{message.message_id}",
                )
            ]
        )
        return Accepted(provider_message_id=message.message_id)
