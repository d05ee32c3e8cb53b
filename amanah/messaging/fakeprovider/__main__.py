"""Run the fake provider standalone (``make demo``):

    python -m amanah.messaging.fakeprovider --port 8001 \
        --webhook-url http://127.0.0.1:8000/webhooks/

WhatsApp status webhooks go to ``<webhook-url>whatsapp``, SMS delivery reports to
``<webhook-url>sms``. ``amanah demo`` starts it on its web port + 1 and points the channels at
it through the variables a deployment sets for its real endpoints
(``fakeprovider.environment.channel_environment``: ``WHATSAPP_BASE_URL``,
``WHATSAPP_ACCESS_TOKEN`` …, ``SMS_GATEWAY_URL`` …).
"""

from __future__ import annotations

import argparse
import signal
import threading

from amanah.messaging.fakeprovider import server
from amanah.messaging.fakeprovider.server import FakeProvider


def _template(spec: str) -> tuple[str, int | None]:
    name, _, count = spec.partition(":")
    return name, int(count) if count else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loopback fake WhatsApp Cloud API + SMS gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)  # amanah demo: its web port + 1
    parser.add_argument("--webhook-url", default="", help="base URL of our /webhooks/")
    parser.add_argument("--access-token", default=server.ACCESS_TOKEN)
    parser.add_argument("--phone-number-id", default=server.PHONE_NUMBER_ID)
    parser.add_argument("--app-secret", default=server.APP_SECRET)
    parser.add_argument("--sms-api-key", default=server.SMS_API_KEY)
    parser.add_argument("--sms-sender-id", default=server.SMS_SENDER_ID)
    parser.add_argument("--sms-secret", default=server.SMS_SECRET)
    parser.add_argument(
        "--template",
        action="append",
        type=_template,
        help="NAME or NAME:PARAMS (repeatable); without any, every template name is accepted",
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each webhook")
    parser.add_argument("--duplicate", action="store_true", help="post every webhook twice")
    parser.add_argument("--reorder", action="store_true", help="post webhooks newest first")
    parser.add_argument(
        "--max-recorded", type=int, default=10_000, help="requests kept in memory (newest)"
    )
    args = parser.parse_args(argv)

    base = args.webhook_url
    if base and not base.endswith("/"):
        base += "/"
    fake = FakeProvider(
        host=args.host,
        port=args.port,
        access_token=args.access_token,
        phone_number_id=args.phone_number_id,
        app_secret=args.app_secret,
        templates=dict(args.template) if args.template else None,
        sms_api_key=args.sms_api_key,
        sms_sender_id=args.sms_sender_id,
        sms_secret=args.sms_secret,
        whatsapp_webhook_url=base + "whatsapp" if base else "",
        sms_webhook_url=base + "sms" if base else "",
        max_recorded=args.max_recorded,
    )
    fake.delay, fake.duplicate, fake.reorder = args.delay, args.duplicate, args.reorder
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with fake:
        print(f"fake provider listening on {fake.url}", flush=True)  # noqa: T201
        stopped.wait()


if __name__ == "__main__":
    main()
