"""One seeded demo instance (amanah.e2e.server) per deployment profile for the browser tests
of the session: it takes a while to migrate and seed, and the tests only add to it (none
depends on another's steps). ``demo`` is the bank's (the default profile), ``pdam_demo`` the
water utility's (AMANAH_PROFILE=pdam, its own demo seed and a fake payment gateway).

An instance is prepared only when the run has collected a test that will use it — a bank-only
run never seeds the PDAM demo, and the reverse. The migrating (once, copied for both
profiles: ``server.MigratedTemplate``) and seeding (about a minute)
starts in the background as soon as the run is collected, so it overlaps the rest of the
suite; the first test of that profile waits for it if it is not done yet, then starts the
server on it. Both are stopped and dropped when the session ends."""

from __future__ import annotations

import pytest

from amanah.e2e.server import MigratedTemplate, Preparation, demo_server

# The fixture a test asks for → the profile of the instance it gets.
PROFILE_OF_FIXTURE = {"demo": "bank", "pdam_demo": "pdam"}

_preparations: dict[str, Preparation] = {}
_template: list[MigratedTemplate] = []
_wanted: set[str] = set()


def _skipped(item) -> bool:
    return any(
        marker.name == "skip" or (marker.name == "skipif" and marker.args == (True,))
        for marker in item.iter_markers()
    )


def _profiles_used(item) -> set[str]:
    names = getattr(item, "fixturenames", ())
    if _skipped(item):
        return set()
    return {profile for fixture, profile in PROFILE_OF_FIXTURE.items() if fixture in names}


def pytest_collection_finish(session):
    if session.config.option.collectonly or _preparations:
        return
    _wanted.update(*(_profiles_used(item) for item in session.items))
    # Under pytest-xdist every worker collects every test, but one runs the browser tests
    # (amanah/conftest.py's scheduler): that one prepares, at its first browser test, while
    # the other worker goes on with the rest of the suite.
    if not hasattr(session.config, "workerinput"):
        _start_preparations()


def _start_preparations() -> None:
    if _preparations or not _wanted:
        return
    # Migrated once, copied for each profile (server.MigratedTemplate).
    _template.append(MigratedTemplate(uses=len(_wanted)))
    for profile in sorted(_wanted):
        _preparations[profile] = Preparation(profile, _template[0])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    # A run stopped before any e2e test (-x, ^C): the databases it prepared go too.
    for preparation in _preparations.values():
        preparation.discard()
    for template in _template:
        template.discard()


@pytest.fixture(scope="session")
def demo(django_db_blocker):
    _start_preparations()
    with django_db_blocker.unblock(), demo_server(_preparations.get("bank")) as instance:
        yield instance


@pytest.fixture(scope="session")
def base(demo):
    return demo.base


@pytest.fixture(scope="session")
def pdam_demo(django_db_blocker):
    _start_preparations()
    with (
        django_db_blocker.unblock(),
        demo_server(_preparations.get("pdam"), profile="pdam") as instance,
    ):
        yield instance


@pytest.fixture(scope="module")
def pdam_browser(pdam_demo):
    """Debian's Chromium for a module's tests on the PDAM demo (one Playwright per module)."""
    from playwright.sync_api import sync_playwright

    from amanah.e2e.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
