"""One seeded demo instance (amanah.e2e.server) for every browser test of the session: it takes
a while to migrate and seed, and the tests only add to it (none depends on another's steps).

The migrating and seeding (about a minute) starts in the background as soon as the run has
collected a test that will use the instance, so it overlaps the rest of the suite; the first
e2e test waits for it if it is not done yet, then starts the server on it."""

from __future__ import annotations

import pytest

from amanah.e2e.server import Preparation, demo_server

_preparation: Preparation | None = None


def _runs_with_demo(item) -> bool:
    if "demo" not in getattr(item, "fixturenames", ()):
        return False
    for marker in item.iter_markers():
        if marker.name == "skip" or (marker.name == "skipif" and marker.args == (True,)):
            return False
    return True


def pytest_collection_finish(session):
    global _preparation
    if session.config.option.collectonly or _preparation is not None:
        return
    if any(_runs_with_demo(item) for item in session.items):
        _preparation = Preparation()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    # A run stopped before any e2e test (-x, ^C): the database it prepared goes too.
    if _preparation is not None:
        _preparation.discard()


@pytest.fixture(scope="session")
def demo(django_db_blocker):
    with django_db_blocker.unblock(), demo_server(_preparation) as instance:
        yield instance


@pytest.fixture(scope="session")
def base(demo):
    return demo.base
