"""The loopback fake provider as a deployment sees it: its credentials, and the environment
that points every channel at the loopback servers (``messaging.channel_settings``).

The demo (``amanah demo``), the browser tests (``e2e/server.py``), the benchmarks and the
test suite (``amanah.testenv``) configure the hub through these same variables, as a
deployment does with its real Cloud API, SMS gateway and SMTP server: one code path, another
configuration. Plain constants, no Django: read before the settings are.
"""

from __future__ import annotations

# The fake's own credentials: loopback only, known to the tests and the demo.
ACCESS_TOKEN = "fake-access-token"  # noqa: S105
APP_SECRET = "fake-app-secret"  # noqa: S105
VERIFY_TOKEN = "fake-verify-token"  # noqa: S105
PHONE_NUMBER_ID = "100200300400"
SMS_API_KEY = "fake-sms-key"
SMS_SECRET = "fake-sms-secret"  # noqa: S105
SMS_SENDER_ID = "AMANAH"


def channel_environment(provider_url: str, *, smtp_port: int, smtp_host: str = "127.0.0.1"):
    """WhatsApp and SMS at the fake provider on ``provider_url``, e-mail at the SMTP server
    on ``smtp_host:smtp_port`` — the variables a deployment sets for its real endpoints."""
    provider_url = provider_url.rstrip("/")
    return {
        "WHATSAPP_BASE_URL": provider_url,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "SMS_GATEWAY_URL": provider_url + "/sms",
        "SMS_GATEWAY_API_KEY": SMS_API_KEY,
        "SMS_SENDER_ID": SMS_SENDER_ID,
        "SMS_CALLBACK_SECRET": SMS_SECRET,
        "EMAIL_HOST": smtp_host,
        "EMAIL_PORT": str(smtp_port),
    }
