"""Shared fixtures: branches, users of every role, and signing in through the real flow."""

from __future__ import annotations

import itertools
import sys
import time

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice

# Property tests judge answers, not speed: a busy CI machine must not turn an example that
# took 250 ms into a failure (hypothesis' default deadline and its too-slow health check).
hypothesis_settings.register_profile(
    "amanah", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("amanah")

PASSWORD = "Sangat-Rahasia-2026"
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Indonesian): a request in English activates
    English on the thread, and a later test in the same thread must not inherit it."""
    from django.utils import translation

    translation.activate("id")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _a_deployment_showing_the_app_under_test(request):
    """The suite runs as the default deployment (the bank). The tests of an app that
    deployment hides (the PDAM's utility, payments and journal) run as one that shows it, as
    its pages are used (``core.testing.deployment_showing``); a test elsewhere that visits a
    hidden app's page says which deployment it means."""
    from amanah.core.testing import app_under_test, deployment_showing

    with deployment_showing(app_under_test(request.node.path)):
        yield


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (test_auth checks it); tests hash thousands of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_checkpoints_of_its_own(settings, tmp_path):
    # A test's audit rows are rolled back; checkpoints of them must not outlive the test.
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"


@pytest.fixture(autouse=True)
def _documents_of_its_own(settings, tmp_path):
    """Document files (a case's attachment is one) go to the test's own folder, and no
    signing certificate is configured unless a test makes one (``documents_demo_certificate``
    in the checkout's var/ must not sign a test's receipts)."""
    settings.DOCUMENTS_STORAGE_DIR = tmp_path / "documents"
    settings.DOCUMENTS_SIGNING_CERT = str(tmp_path / "no-signing" / "cert.pem")
    settings.DOCUMENTS_SIGNING_KEY = str(tmp_path / "no-signing" / "key.pem")


@pytest.fixture
def system():
    return SystemActor("system:test")


@pytest.fixture
def branch_a(db, system):
    return iam.branch_save(
        actor=system, code="MDN01", name="KC Medan", timezone_name=TimeZoneChoice.WIB
    )


@pytest.fixture
def branch_b(db, system):
    return iam.branch_save(
        actor=system, code="PMS01", name="KC Pematangsiantar", timezone_name=TimeZoneChoice.WIB
    )


def create_user(
    system, *roles: str, branches: list[Branch] | None = None, home: Branch | None = None, **fields
):
    """A user of ``roles`` (``make_user`` without the fixture: for data built once per module,
    see ``core/tests/test_view_permissions.py``). branches=None means the whole bank."""
    scopes = (
        [iam.ScopeInput(branch=b) for b in branches] if branches else [iam.ScopeInput(branch=None)]
    )
    home = home or (branches[0] if branches else None)
    user = iam.user_create(
        actor=system,
        username=fields.pop("username", f"user{next(_names)}"),
        full_name=fields.pop("full_name", "Pengguna Uji"),
        password=PASSWORD,
        roles=[str(r) for r in roles],
        scopes=scopes,
        home_branch=home,
        **fields,
    )
    if iam.mfa_required(user):
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    user.active_role = iam.default_role(user)  # as the middleware does for a session
    return user


@pytest.fixture
def make_user(db, system):
    """make_user(RoleKey.AGENT, branches=[branch]) — branches=None means the whole bank."""

    def make(
        *roles: str, branches: list[Branch] | None = None, home: Branch | None = None, **fields
    ):
        return create_user(system, *roles, branches=branches, home=home, **fields)

    return make


def totp_now(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def sign_in(client: Client, user, *, password: str = PASSWORD) -> Client:
    """Sign in through the real login view, and the MFA step when the user's roles need it."""
    response = client.post("/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:500]
    if iam.mfa_required(user):
        response = client.post("/mfa/", {"token": totp_now(user)})
        assert response.status_code == 303, response.content[:500]
    return client


def sign_in_directly(client: Client, user) -> Client:
    """The session the real flow leaves (signed in, the active role, the second factor
    verified when the roles need it), without going through the login and MFA pages: for
    tests of what a signed-in user may reach, thousands of sign-ins a run (the route matrix
    in ``core/tests/test_view_permissions.py``). It records no LOGIN/MFA_VERIFY audit rows;
    a test of signing in itself, or of its audit trail, uses ``sign_in``."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    now = time.time()
    session.update({"auth_at": now, "seen_at": now, "active_role": iam.default_role(user)})
    if iam.mfa_required(user):
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def built_once_per_module(build, django_db_blocker, folder):
    """For a module-scoped fixture (``yield from built_once_per_module(...)``): the data
    ``build()`` returns, built once for a module of many tests rather than once per test. It
    is written inside a transaction kept open for the module: each test runs in a savepoint
    inside it (pytest-django's ``db`` nests), so a test's writes are rolled back to this data,
    and the module's end rolls the data back too — nothing is committed, other modules never
    see it. Built in Indonesian, with the tests' cheap password hashing; its audit checkpoints
    and documents go to ``folder`` (a test reading the documents points
    ``DOCUMENTS_STORAGE_DIR`` at ``folder / "documents"``)."""
    built = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        AUDIT_CHECKPOINT_DIR=folder / "audit-checkpoints",
        DOCUMENTS_STORAGE_DIR=folder / "documents",
        DOCUMENTS_SIGNING_CERT=str(folder / "no-signing" / "cert.pem"),
        DOCUMENTS_SIGNING_KEY=str(folder / "no-signing" / "key.pem"),
    )
    outer = transaction.atomic()
    with django_db_blocker.unblock(), built, translation.override("id"):
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def signed_in(make_user, client):
    """signed_in(RoleKey.AGENT, branches=[...]) -> (client, user)."""

    def make(*roles, **kwargs):
        user = make_user(*roles, **kwargs)
        return sign_in(Client(), user), user

    return make


ALL_ROLES = list(RoleKey)


def pytest_unconfigure(config):
    """A test run that had to start the embedded PostgreSQL stops it again."""
    import os

    from amanah import dbserver

    if dbserver.started_here and not os.environ.get("DATABASE_URL"):
        dbserver.stop_embedded()


# Under pytest-xdist (`make test` runs two workers): a module's tests stay on one worker (its
# module-scoped data is built once), the browser tests all on one (one seeded demo per
# profile), and the longest units are handed out first so that no worker is left alone with a
# long one at the end.
XDIST_FIRST = (
    "amanah/e2e/",
    "amanah/core/tests/test_go_live.py",
    "amanah/core/tests/test_hostile_input.py",
    "amanah/core/tests/test_migrations_reversible.py",
    "amanah/core/tests/test_worker_faults.py",
    "amanah/core/tests/test_deep_json.py",
    "amanah/core/tests/test_serving.py",
)


def pytest_xdist_make_scheduler(config, log):
    from collections import OrderedDict

    from xdist.scheduler import LoadScopeScheduling

    class _LongestFirst(OrderedDict):
        def __setitem__(self, scope, nodeids):
            super().__setitem__(scope, nodeids)
            if scope.startswith(XDIST_FIRST):
                self.move_to_end(scope, last=False)  # (in reverse order of arrival: fine)

    class ModulesBrowserTestsTogether(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            self.workqueue = _LongestFirst()

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return XDIST_FIRST[0] if module.startswith(XDIST_FIRST[0]) else module

    return ModulesBrowserTestsTogether(config, log)


def pytest_terminal_summary(terminalreporter, config):
    """Name the shuffled order (pytest-randomly) so a failure that depends on it can be re-run."""
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None:
        terminalreporter.write_line(
            f"test order shuffled: re-run the same order with --randomly-seed={seed}"
        )
