"""Narrow actors everywhere (issue 51, 5): no production path acts as ``SystemActor`` (every
permission); every job and integration of the house acts as a named actor declared beside it
(``core.actors.declare_actor``), listed with its grants on the permission matrix page and named
in the audit rows it writes.

The scans read the product's source (``amanah/``, less tests, test support, the demo and
migrations), as ``test_kernel_imports`` does: a new ``SystemActor(...)`` anywhere else, or an
``IntegrationActor(...)`` made outside the few places that build one per API key, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in_directly
from amanah.core import registry
from amanah.core.actors import IntegrationActor, declared_actors
from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey

ROOT = Path(__file__).resolve().parents[2]  # amanah/

# Where a SystemActor may still be made in product code, and why no narrower actor works there.
SYSTEM_ACTOR_ALLOWED = {
    "core/actors.py": "the definition (and SYSTEM, for tests and benches)",
    "iam/services/rbac.py": "migrations: the default matrix seeded after migrate, the profile's "
    "grants (its audit row's actor; no permission is asked)",
    "workflow/services.py": "migrations: the declared workflows copied after migrate",
    "iam/management/commands/createuser.py": "CLI bootstrap: the first ADMIN, before any user "
    "or grant exists",
}
# Where an IntegrationActor is built per caller (an API key's grants), not declared once.
INTEGRATION_ACTOR_BUILT = {
    "core/actors.py": "the definition and declare_actor",
    "core/events.py": "a deferred job of an API key's actor, or after a system actor",
    "integrations/services.py": "actor_for: a system API key's own grants",
    "integrations/imports.py": "a batch started by the CLI, the demo or a test runs as an "
    "actor holding only its target's import permission (_run_as)",
    "payments/systems.py": "a gateway's system key's own grants, and that actor narrowed to "
    "the settlement's grants (settlement_applier)",
}


def _product_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        parts = relative.split("/")
        if (
            "tests" in parts
            or "migrations" in parts
            or parts[0] in ("demo", "e2e")
            or parts[-1] in ("testing.py", "conftest.py")
        ):
            continue
        yield relative, path


def _calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == name:
                lines.append(node.lineno)
    return lines


def _made(name: str, allowed: dict) -> set[str]:
    """Where product code outside ``allowed`` calls ``name(...)`` (``path:line``)."""
    return {
        f"{relative}:{line}"
        for relative, path in _product_modules()
        if relative not in allowed
        for line in _calls(path, name)
    }


def test_no_production_path_acts_as_a_system_actor():
    assert _made("SystemActor", SYSTEM_ACTOR_ALLOWED) == set(), (
        "a SystemActor holds every permission: give the job a narrow actor "
        "(core.actors.declare_actor) with the permissions its work needs"
    )


def test_every_job_actor_is_declared_not_made_on_the_spot():
    assert _made("IntegrationActor", INTEGRATION_ACTOR_BUILT) == set(), (
        "declare the job's actor with core.actors.declare_actor"
    )


def test_every_declared_actor_is_known_at_start_up():
    """What the source declares is in the registry once the apps are loaded: the permission
    matrix page lists it, and a deferred job finds it by name in any process."""
    pattern = re.compile(r"declare_actor\(\s*\"([^\"]+)\"", re.S)
    names = {
        name
        for relative, path in _product_modules()
        if relative != "core/actors.py"
        for name in pattern.findall(path.read_text())
    }
    assert len(names) > 40
    assert [n for n in sorted(names) if n not in registry.job_actors] == []


def test_declared_actors_hold_declared_permissions_and_none_holds_them_all():
    everything = set(catalogue())
    for actor in declared_actors():
        assert set(actor.permissions) < everything
        assert not {"iam.rbac.manage", "audit.view", "pii.reveal"} & set(actor.permissions)
        assert actor.label == f"integration:{actor.name}"
        assert actor.app and actor.app != "core", actor.name  # beside the job, in its app


@pytest.mark.django_db
def test_the_permission_matrix_page_lists_each_actor_with_its_grants(make_user):
    page = sign_in_directly(Client(), make_user(RoleKey.ADMIN)).get(reverse("iam:matrix"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="job-actors"' in body
    for actor in declared_actors():
        assert f"<code>{actor.label}</code>" in body
    rotation = registry.job_actors.get("followup-rotation")
    assert isinstance(rotation, IntegrationActor)
    row = body[body.index("<code>integration:followup-rotation</code>") :].split("</tr>")[0]
    assert "<code>followdesk.monitor</code>" in row and "followdesk.manage" not in row
