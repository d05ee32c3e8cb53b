"""``python -m amanah.payments.fakegateway [port] [base url of this project]``: run the fake
gateway on 127.0.0.1 (port 8791 by default), posting callbacks to the project's
``/webhooks/payments/midtrans`` and ``/webhooks/payments/xendit``."""

import contextlib
import os
import signal
import sys
import threading

import django


def _fake_gateway_class():
    # The fake builds its QRIS and signatures with the project's own code, whose modules
    # import models: Django must be set up first (as a child of ``amanah demo`` it is the
    # demo's settings).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanah.settings")
    django.setup()
    from amanah.payments.fakegateway.server import FakeGateway

    return FakeGateway


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8791
    base = (sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8000").rstrip("/")
    fake = _fake_gateway_class()(
        port=port,
        midtrans_callback_url=f"{base}/webhooks/payments/midtrans",
        xendit_callback_url=f"{base}/webhooks/payments/xendit",
    ).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"fake payment gateway on {fake.url}", flush=True)  # noqa: T201
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
