"""Field-ops fixtures: two agents and a supervisor in branch A, an agent in branch B.

Visits are recorded at the wall clock's moment in most tests: the collection contact window
is off here, so a run at night or on a Sunday answers the same; the window's own tests
(``test_sync.py``) switch it on and fix the clock."""

import pytest

from amanah.core.roles import RoleKey as R


@pytest.fixture
def agent_a1(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a], full_name="CTB Satu")


@pytest.fixture
def agent_a2(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a], full_name="CTB Dua")


@pytest.fixture
def agent_b(make_user, branch_b):
    return make_user(R.AGENT, branches=[branch_b], full_name="CTB Siantar")


@pytest.fixture
def supervisor_a(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a], full_name="Supervisor Medan")


@pytest.fixture(autouse=True)
def _no_collection_window(settings):
    settings.CONTACT_WINDOWS = {
        purpose: spec
        for purpose, spec in settings.CONTACT_WINDOWS.items()
        if purpose != "COLLECTION"
    }
