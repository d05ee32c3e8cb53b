"""Every messaging channel from the environment: one path for production, the demo and the tests.

``settings.py`` builds ``MESSAGING_PROVIDERS`` with :func:`providers` whatever ``AMANAH_ENV``
says. A channel is configured when all its required variables are set; the demo
(``amanah demo``), the browser tests and the test suite set them to their loopback servers
(``messaging.fakeprovider.environment``), a deployment to its real endpoints (README,
"Channels"). A channel left unconfigured has no adapter: its messages fail at once with
``channel_not_configured`` (``queueing``, ``dispatch``) and its webhook answers 404; one
configured only in part has no adapter either, and ``amanah check`` names the variables it
lacks (``messaging.checks``, an error that stops ``amanah serve``).

This module reads the environment only (no Django): ``settings.py`` imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WHATSAPP_BASE_URL = "https://graph.facebook.com"
WHATSAPP_API_VERSION = "v21.0"
VAPID_SUBJECT = "mailto:it@amanah.local"


@dataclass(frozen=True)
class ChannelVariables:
    """The environment of one channel: ``required`` ``(variable, adapter argument)`` pairs —
    all set or the channel is not configured — and ``optional`` ``(variable, argument,
    default)`` triples. An argument of None is read by the adapter from Django's settings at
    send time (the SMTP adapter reads the ``EMAIL_*`` settings)."""

    channel: str
    adapter: str
    required: tuple[tuple[str, str | None], ...]
    optional: tuple[tuple[str, str, str], ...] = ()

    def variables(self) -> list[str]:
        return [name for name, _arg in self.required] + [name for name, *_ in self.optional]

    def missing(self, environ: Mapping[str, str]) -> list[str]:
        return [name for name, _arg in self.required if not _value(environ, name)]

    def touched(self, environ: Mapping[str, str]) -> bool:
        """Any of its required variables set (a channel someone meant to configure)."""
        return any(_value(environ, name) for name, _arg in self.required)

    def config(self, environ: Mapping[str, str]) -> dict | None:
        if self.missing(environ):
            return None
        config = {"class": self.adapter}
        for name, argument in self.required:
            if argument is not None:
                config[argument] = _value(environ, name)
        for name, argument, default in self.optional:
            config[argument] = _value(environ, name) or default
        return config


def _value(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name) or "").strip()


CHANNELS = (
    ChannelVariables(
        "EMAIL",
        "amanah.messaging.providers.email.SmtpProvider",
        required=(("EMAIL_HOST", None),),
    ),
    ChannelVariables(
        "WHATSAPP",
        "amanah.messaging.providers.whatsapp.WhatsAppCloudProvider",
        required=(
            ("WHATSAPP_ACCESS_TOKEN", "access_token"),
            ("WHATSAPP_PHONE_NUMBER_ID", "phone_number_id"),
            ("WHATSAPP_APP_SECRET", "app_secret"),  # X-Hub-Signature-256 of the webhooks
            ("WHATSAPP_VERIFY_TOKEN", "verify_token"),  # the webhook subscription handshake
        ),
        optional=(
            ("WHATSAPP_BASE_URL", "base_url", WHATSAPP_BASE_URL),
            ("WHATSAPP_API_VERSION", "version", WHATSAPP_API_VERSION),
        ),
    ),
    ChannelVariables(
        "SMS",
        "amanah.messaging.providers.sms.HttpSmsProvider",
        required=(
            ("SMS_GATEWAY_URL", "base_url"),
            ("SMS_GATEWAY_API_KEY", "api_key"),
            ("SMS_SENDER_ID", "sender_id"),
            ("SMS_CALLBACK_SECRET", "secret"),  # X-Signature of the delivery reports
        ),
    ),
    ChannelVariables(
        "PUSH",
        "amanah.messaging.providers.webpush.WebPushProvider",
        required=(("MESSAGING_VAPID_PRIVATE_KEY", "vapid_private_key"),),
        optional=(("MESSAGING_VAPID_SUBJECT", "subject", VAPID_SUBJECT),),
    ),
)
BY_CHANNEL = {spec.channel: spec for spec in CHANNELS}


def providers(environ: Mapping[str, str]) -> dict:
    """``MESSAGING_PROVIDERS``: each fully configured channel's adapter, and IN_APP (always)."""
    configured = {
        spec.channel: config for spec in CHANNELS if (config := spec.config(environ)) is not None
    }
    return {**configured, "IN_APP": {"class": "amanah.messaging.providers.inapp.InAppProvider"}}


def smtp_port(environ: Mapping[str, str]) -> int:
    """``EMAIL_PORT``, else the port of the chosen security: 465 (SSL), 587 (STARTTLS), 25."""
    if _value(environ, "EMAIL_PORT"):
        return int(_value(environ, "EMAIL_PORT"))
    if _flag(environ, "EMAIL_USE_SSL"):
        return 465
    return 587 if _flag(environ, "EMAIL_USE_TLS") else 25


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return _value(environ, name).lower() in {"1", "true", "yes", "on"}
