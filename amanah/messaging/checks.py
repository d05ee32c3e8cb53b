"""What ``amanah check`` says about the channels (Django system checks, tag ``amanah``).

- Always (every command that checks, and ``amanah serve`` before it starts): a channel
  configured in part — some of its variables set, not all — is an **error** naming the missing
  ones (it has no adapter: ``channel_settings``); so are SMTP's STARTTLS and implicit TLS both
  on, a user without a password, and a VAPID key that is no key.
- ``--deploy`` adds **warnings** for what a production deployment should look at: a channel not
  configured at all (its messages fail at once, its webhook does not exist), a provider
  reached over plain http, SMTP without TLS to another host, the sender and contact
  addresses left at their examples.

Values are never printed, only the variables' names.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from amanah.messaging import channel_settings

TAG = "amanah"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
HINTS = {
    "EMAIL": "e-mail to customers and staff",
    "WHATSAPP": "WhatsApp messages; /webhooks/whatsapp answers 404",
    "SMS": "SMS messages; /webhooks/sms answers 404",
    "PUSH": "Web Push to staff browsers",
}


def _configured(channel: str) -> bool:
    return bool(settings.MESSAGING_PROVIDERS.get(channel))


@checks.register(TAG)
def channels_consistent(app_configs=None, **kwargs) -> list:
    errors = []
    for spec in channel_settings.CHANNELS:
        missing = spec.missing(os.environ)
        if not _configured(spec.channel) and spec.touched(os.environ) and missing:
            errors.append(
                checks.Error(
                    f"{spec.channel} is configured in part: {', '.join(missing)} missing "
                    "(the channel stays off until every one is set)",
                    id="amanah.E101",
                )
            )
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        errors.append(
            checks.Error(
                "EMAIL_USE_TLS (STARTTLS) and EMAIL_USE_SSL (implicit TLS) exclude each other",
                id="amanah.E102",
            )
        )
    if bool(settings.EMAIL_HOST_USER) != bool(settings.EMAIL_HOST_PASSWORD):
        errors.append(
            checks.Error(
                "EMAIL_HOST_USER and EMAIL_HOST_PASSWORD are set together or not at all",
                id="amanah.E103",
            )
        )
    push = settings.MESSAGING_PROVIDERS.get("PUSH")
    if push and not _vapid_key_valid(push.get("vapid_private_key", "")):
        errors.append(
            checks.Error(
                "MESSAGING_VAPID_PRIVATE_KEY is not a VAPID key (python -m "
                "amanah.messaging.providers.webpush prints a new one)",
                id="amanah.E104",
            )
        )
    return errors


def _vapid_key_valid(key: str) -> bool:
    """base64url of a raw P-256 private value: 32 bytes."""
    from py_vapid import Vapid02

    from amanah.messaging.providers.webpush import b64url_decode

    try:
        Vapid02.from_raw(key.encode())
        return len(b64url_decode(key)) == 32
    except Exception:  # noqa: BLE001 (py_vapid and base64 raise whatever they meet)
        return False


@checks.register(TAG, deploy=True)
def channels_for_production(app_configs=None, **kwargs) -> list:
    warnings = []
    for spec in channel_settings.CHANNELS:
        if not _configured(spec.channel) and not spec.touched(os.environ):
            needed = ", ".join(name for name, _argument in spec.required)
            warnings.append(
                checks.Warning(
                    f"{spec.channel} is not configured (set {needed}): no "
                    f"{HINTS[spec.channel]}; its messages fail at once",
                    id="amanah.W101",
                )
            )
    for channel, variable in (("WHATSAPP", "WHATSAPP_BASE_URL"), ("SMS", "SMS_GATEWAY_URL")):
        url = settings.MESSAGING_PROVIDERS.get(channel, {}).get("base_url", "")
        if url and urlsplit(url).scheme != "https":
            warnings.append(
                checks.Warning(f"{variable} is not an https:// address", id="amanah.W102")
            )
    tls = settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL
    if _configured("EMAIL") and not tls and settings.EMAIL_HOST not in LOOPBACK:
        warnings.append(
            checks.Warning(
                "SMTP to another host without TLS: set EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL",
                id="amanah.W103",
            )
        )
    defaults = (
        ("DEFAULT_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL, "@amanah.local"),
        (
            "MESSAGING_VAPID_SUBJECT",
            settings.MESSAGING_PROVIDERS.get("PUSH", {}).get("subject", ""),
            "@amanah.local",
        ),
        ("AMANAH_PUBLIC_URL", settings.PUBLIC_URL, "://localhost"),
    )
    for variable, value, example in defaults:
        if example in value:
            warnings.append(
                checks.Warning(f"{variable} is still the example value", id="amanah.W104")
            )
    return warnings
