"""The loopback fake payment gateway as a deployment sees it: its keys, and the environment
that points both adapters at it (``MIDTRANS_*``, ``XENDIT_*`` in ``settings.py``).

The demo (``amanah demo``), the browser tests (``e2e/server.py``), the benchmarks and the test
suite (``amanah.testenv``) configure the payments through these same variables, as a
deployment does with its real Midtrans and Xendit keys: one code path, another configuration.
Plain constants, no Django: read before the settings are.
"""

from __future__ import annotations

# The fake's own keys: loopback only, known to the tests and the demo.
MIDTRANS_SERVER_KEY = "fake-midtrans-server-key"  # noqa: S105
XENDIT_SECRET_KEY = "fake-xendit-secret-key"  # noqa: S105
XENDIT_CALLBACK_TOKEN = "fake-xendit-callback-token"  # noqa: S105


def gateway_environment(gateway_url: str) -> dict[str, str]:
    """Midtrans and Xendit at the fake gateway on ``gateway_url`` — the variables a deployment
    sets for the real gateways."""
    gateway_url = gateway_url.rstrip("/")
    return {
        "MIDTRANS_BASE_URL": gateway_url,
        "MIDTRANS_SERVER_KEY": MIDTRANS_SERVER_KEY,
        "XENDIT_BASE_URL": gateway_url,
        "XENDIT_SECRET_KEY": XENDIT_SECRET_KEY,
        "XENDIT_CALLBACK_TOKEN": XENDIT_CALLBACK_TOKEN,
    }


def is_fake(environ) -> bool:
    """Do these variables point the payments at the fake (not at a real gateway)?"""
    return environ.get("MIDTRANS_SERVER_KEY") == MIDTRANS_SERVER_KEY


def fake_url(gateways: dict) -> str:
    """Where the fake gateway of ``settings.PAYMENT_GATEWAYS`` listens ("" for a real one):
    the demo's payer pays on its ``/simulator``."""
    midtrans = gateways.get("MIDTRANS") or {}
    return midtrans.get("base_url", "") if midtrans.get("server_key") == MIDTRANS_SERVER_KEY else ""
