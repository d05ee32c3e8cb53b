"""One seeded demo instance (amanah.e2e.server) for every browser test of the session: it takes
a while to migrate and seed, and the tests only add to it (none depends on another's steps)."""

from __future__ import annotations

import pytest

from amanah.e2e.server import demo_server


@pytest.fixture(scope="session")
def demo(django_db_blocker):
    with django_db_blocker.unblock(), demo_server() as instance:
        yield instance


@pytest.fixture(scope="session")
def base(demo):
    return demo.base
