"""The loopback fake WhatsApp Cloud API + SMS gateway (tests, ``make demo``, the benchmark)."""

from amanah.messaging.fakeprovider.server import FakeProvider, Posted, Received

__all__ = ["FakeProvider", "Posted", "Received"]
