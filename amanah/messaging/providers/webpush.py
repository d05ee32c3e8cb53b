"""PUSH to staff browsers through Web Push: VAPID (RFC 8292) and aes128gcm payload encryption
(RFC 8291 / RFC 8188), over the shared HTTP transport.

A member of staff's browser subscribes on the notification settings page (the service worker
``templates/messaging/push_sw.js``, served at ``/messaging/push/sw.js``);
``push_services.push_subscription_save`` keeps its ``PushSubscription`` (endpoint,
``p256dh`` key, ``auth`` secret). A PUSH message's address is the staff user's id (like
IN_APP); ``send`` pushes to every subscription of that user:

- the JSON payload ``{"title", "body", "url", "tag"}`` is encrypted to the browser's key
  (``http_ece``, a fresh sender key per push) and POSTed to the endpoint with
  ``Content-Encoding: aes128gcm``, ``TTL``, ``Urgency`` and ``Topic`` (the outbox id: a push
  service replaces an undelivered push with the same topic, so a re-send after a killed
  worker does not queue a second one; the service worker shows it with ``tag`` = the outbox
  id, so a second delivery replaces the first notification instead of adding one);
- ``Authorization: vapid t=<JWT ES256>, k=<public key>`` (``py_vapid``), the JWT's ``aud``
  the endpoint's origin, ``exp`` 12 hours ahead, ``sub`` the configured contact;
- 201 → accepted; 404/410 → the subscription is gone and deleted; other refusals and
  transport faults are mapped by ``providers.http`` as for WhatsApp and SMS.

One subscription accepting is enough for ``SENT``; when none does, the first retryable error
is raised (back-off), or ``push_subscription_gone`` / ``push_no_subscription`` (permanent).
Push services send no delivery receipts: ``SENT`` is final. Neither the endpoint nor the
payload is ever logged.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone
from py_vapid import Vapid02, b64urlencode

from amanah.core.inputs import is_uuid
from amanah.messaging.providers.base import Accepted, OutgoingMessage, ProviderError
from amanah.messaging.providers.http import HttpTransport

PROVIDER_NAME = "webpush"
GONE = (404, 410)
MAX_TEXT = 1500  # a push record is at most 4 KiB; the title and body stay well inside it
JWT_LIFETIME = 12 * 3600


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def vapid_public_key(private_key: str) -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization

    public = Vapid02.from_raw(private_key.encode()).public_key
    return b64urlencode(
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate_vapid_private_key() -> str:
    """A new VAPID key (base64url of the raw 32-byte private value), for the settings."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64urlencode(key.private_numbers().private_value.to_bytes(32, "big"))


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """aes128gcm to the browser's key (RFC 8291): a fresh sender key, its public half as the
    record header's key id."""
    sender = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(
        payload,
        private_key=sender,
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
    )


def push_payload(message: OutgoingMessage) -> bytes:
    """The JSON the service worker (``messaging/push_sw.js``) receives, before encryption."""
    return json.dumps(
        {
            "title": (message.subject or message.text)[:200],
            "body": message.text[:MAX_TEXT],
            "url": message.media_url,
            "tag": message.message_id,
        },
        ensure_ascii=False,
    ).encode()


class WebPushProvider:
    name = PROVIDER_NAME
    channel = "PUSH"

    def __init__(
        self,
        vapid_private_key: str,
        subject: str,
        ttl: int = 24 * 3600,
        timeout: float = 10.0,
    ):
        self.vapid = Vapid02.from_raw(vapid_private_key.encode())
        self.subject = subject
        self.ttl = ttl
        self._http = HttpTransport(PROVIDER_NAME, timeout=timeout)

    def send(self, message: OutgoingMessage) -> Accepted:
        from amanah.messaging.models import PushSubscription

        try:
            user_id = uuid.UUID(message.to)
        except ValueError:
            raise ProviderError("push_bad_user", retryable=False) from None
        subscriptions = list(PushSubscription.objects.filter(user_id=user_id).order_by("pk"))
        if not subscriptions:
            raise ProviderError("push_no_subscription", retryable=False)
        payload = push_payload(message)
        accepted, gone, failure = [], [], None
        for subscription in subscriptions:
            try:
                self._push(subscription, payload, message.message_id)
            except ProviderError as error:
                if getattr(error, "http_status", None) in GONE:
                    gone.append(subscription.pk)
                elif failure is None or (error.retryable and not failure.retryable):
                    failure = error
            else:
                accepted.append(subscription.pk)
        if gone:
            PushSubscription.objects.filter(pk__in=gone).delete()
        if accepted:
            PushSubscription.objects.filter(pk__in=accepted).update(last_sent_at=timezone.now())
            return Accepted(provider_message_id=message.message_id)
        if failure is not None:
            raise failure
        raise ProviderError("push_subscription_gone", retryable=False)

    def _push(self, subscription, payload: bytes, message_id: str) -> None:
        parts = urlsplit(subscription.endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + JWT_LIFETIME,
            "sub": self.subject,
        }
        headers = {
            **self.vapid.sign(claims),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self.ttl),
            "Urgency": "normal",
            "Topic": uuid.UUID(message_id).hex if is_uuid(message_id) else message_id[:32],
        }
        body = encrypt(payload, subscription.p256dh, subscription.auth)
        self._http.post(subscription.endpoint, content=body, headers=headers)

    def close(self) -> None:
        self._http.close()


if __name__ == "__main__":  # print a new VAPID key pair for the settings
    private = generate_vapid_private_key()
    print(f"MESSAGING_VAPID_PRIVATE_KEY={private}")  # noqa: T201
    print(f"# application server (public) key: {vapid_public_key(private)}")  # noqa: T201
