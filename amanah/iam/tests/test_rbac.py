"""The permission matrix: seeded from seed 003 Bab 6, edited by ADMIN, every change audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.permissions import catalogue
from amanah.core.roles import RoleKey as R
from amanah.iam import authz
from amanah.iam import services as iam
from amanah.iam.models import PermissionSeed, RolePermission


def grants() -> set[tuple[str, str]]:
    return set(RolePermission.objects.values_list("role_id", "permission"))


@pytest.mark.django_db
def test_matrix_is_seeded_from_the_declared_defaults():
    expected = {(role, code) for code, p in catalogue().items() for role in p.default_roles}
    assert grants() == expected
    assert ("COMPLIANCE", "audit.view") in expected and ("AGENT", "audit.view") not in expected
    assert ("MARKETING", "iam.user.manage") not in expected


@pytest.mark.django_db
def test_seeding_never_undoes_an_admin_revocation():
    RolePermission.objects.filter(role_id="COMPLIANCE", permission="audit.export").delete()
    assert iam.rbac_seed_defaults() == []
    assert ("COMPLIANCE", "audit.export") not in grants()


@pytest.mark.django_db
def test_a_newly_declared_permission_is_seeded_once():
    PermissionSeed.objects.filter(permission="audit.export").delete()
    RolePermission.objects.filter(permission="audit.export").delete()
    assert iam.rbac_seed_defaults() == ["audit.export"]
    assert ("COMPLIANCE", "audit.export") in grants()


def test_admin_changes_matrix_in_the_ui_and_it_is_audited(make_user):
    admin = make_user(R.ADMIN)
    client = sign_in(Client(), admin)
    cells = [f"{r}|{p}" for r, p in grants()] + ["AGENT|audit.view"]
    cells.remove("COMPLIANCE|audit.export")
    response = client.post("/admin/permissions/", {"grant": cells})
    assert (response.status_code, response["Location"]) == (303, "/admin/permissions/")
    assert ("AGENT", "audit.view") in grants()
    assert ("COMPLIANCE", "audit.export") not in grants()
    event = AuditLog.objects.filter(action="CHANGE_RBAC", actor_username=admin.username).get()
    assert event.meta == {"granted": ["AGENT:audit.view"], "revoked": ["COMPLIANCE:audit.export"]}
    assert event.actor_role == "ADMIN"


def test_matrix_change_takes_effect_on_the_next_request(signed_in, make_user):
    client, agent = signed_in(R.AGENT)
    assert client.get("/audit/").status_code == 403
    admin = make_user(R.ADMIN)
    iam.rbac_matrix_save(actor=admin, grants=grants() | {("AGENT", "audit.view")})
    assert client.get("/audit/").status_code == 200


def test_admin_cannot_lock_everyone_out_of_the_matrix(make_user):
    admin = make_user(R.ADMIN)
    before = grants()
    with pytest.raises(ServiceError) as refused:
        iam.rbac_matrix_save(actor=admin, grants=before - {("ADMIN", "iam.rbac.manage")})
    assert refused.value.code == "protected_grant"
    assert grants() == before


def test_unknown_grants_are_refused_and_change_nothing(make_user):
    admin = make_user(R.ADMIN)
    before = grants()
    for bad in [("AGENT", "no.such.perm"), ("WIZARD", "audit.view")]:
        with pytest.raises(ServiceError):
            iam.rbac_matrix_save(actor=admin, grants=before | {bad})
    assert grants() == before
    assert not AuditLog.objects.filter(action="CHANGE_RBAC", actor_username=admin.username).exists()


def test_only_rbac_managers_may_save_the_matrix(make_user):
    for role in (R.COMPLIANCE, R.SUPERVISOR, R.DIRECTOR):
        with pytest.raises(PermissionDenied):
            iam.rbac_matrix_save(actor=make_user(role), grants=grants())


def test_a_user_works_in_one_active_role_and_switching_is_audited(make_user, branch_a):
    user = make_user(R.AGENT, R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), user)
    assert client.get("/branches/mine/").status_code == 200  # SUPERVISOR comes first
    client.post("/profile/role/", {"role": "AGENT"})
    assert client.get("/branches/mine/").status_code == 403
    event = AuditLog.objects.filter(action="SWITCH_ROLE", object_id=str(user.pk)).get()
    assert event.meta == {"from": "SUPERVISOR", "to": "AGENT"}
    assert AuditLog.objects.filter(actor_username=user.username).last().actor_role == "AGENT"


def test_cannot_switch_to_a_role_not_held(signed_in):
    client, user = signed_in(R.AGENT)
    client.post("/profile/role/", {"role": "ADMIN"})
    assert client.get("/admin/users/").status_code == 403
    assert not AuditLog.objects.filter(action="SWITCH_ROLE").exists()


def test_permissions_vanish_when_the_role_is_taken_away(make_user, branch_a):
    user = make_user(R.SUPERVISOR, branches=[branch_a])
    assert authz.has_perm(user, "iam.branch.view")
    user.user_roles.all().delete()
    authz.forget(user)
    assert not authz.has_perm(user, "iam.branch.view")


def test_time_boxed_scope_expires(make_user, branch_a, branch_b):
    from datetime import timedelta

    from django.utils import timezone

    from amanah.iam.models import Branch, UserBranchScope

    user = make_user(R.SUPERVISOR, branches=[branch_a])
    UserBranchScope.objects.create(
        user=user,
        branch=branch_b,
        scope_type="BRANCH",
        active_to=timezone.now() - timedelta(minutes=1),
    )
    UserBranchScope.objects.create(
        user=user, branch=None, scope_type="ALL", active_from=timezone.now() + timedelta(days=1)
    )
    assert list(Branch.objects.visible_to(user)) == [branch_a]


def test_users_covering_branch_agrees_with_branch_scope(make_user, branch_a, branch_b):
    """The set-based form (one query for a case's assignee list) and the per-user form."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.iam.models import User, UserBranchScope

    now = timezone.now()
    here, there, bank = (
        make_user(R.AGENT, branches=[branch_a]),
        make_user(R.AGENT, branches=[branch_b]),
        make_user(R.SUPERVISOR),
    )
    expired, future, gone = (make_user(R.AGENT, branches=[branch_b]) for _ in range(3))
    UserBranchScope.objects.create(
        user=expired, branch=branch_a, scope_type="BRANCH", active_to=now - timedelta(minutes=1)
    )
    UserBranchScope.objects.create(
        user=future, branch=None, scope_type="ALL", active_from=now + timedelta(days=1)
    )
    UserBranchScope.objects.create(user=gone, branch=branch_a, scope_type="BRANCH")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    users = User.objects.filter(pk__in=[u.pk for u in (here, there, bank, expired, future, gone)])
    for branch in (branch_a, branch_b):
        per_user = {u.pk for u in users if authz.branch_scope(u).allows(branch.pk)}
        assert set(authz.users_covering_branch(users, branch.pk).values_list("pk", flat=True)) == (
            per_user
        )
    assert {u.pk for u in authz.users_covering_branch(users, branch_a.pk)} == {here.pk, bank.pk}


@pytest.mark.django_db
def test_nothing_is_visible_without_a_grant(make_user, branch_a):
    from amanah.iam.models import Branch, User

    agent = make_user(R.AGENT, branches=[branch_a])
    assert not Branch.objects.visible_to(agent).exists()
    assert not User.objects.visible_to(agent).exists()
    assert not Branch.objects.visible_to(None).exists()


def test_permissions_are_loaded_once_per_request(signed_in):
    """The lazy request.user must keep its permission cache (one query, not one per check)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.functional import SimpleLazyObject

    _client, user = signed_in(R.SUPERVISOR)
    lazy = SimpleLazyObject(lambda: user)
    authz.forget(user)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert authz.has_perm(lazy, "iam.branch.view")
    assert len(queries) == 1


def test_the_session_backend_loads_the_same_grants_as_the_orm(make_user, branch_a, branch_b):
    """``SessionUserBackend`` reads user, home branch, roles, each held role's permissions and
    the scopes in force in one statement; they must equal what the ORM forms compute."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.iam.backends import SessionUserBackend
    from amanah.iam.models import RolePermission, User, UserBranchScope

    now = timezone.now()
    user = make_user(R.SUPERVISOR, R.AGENT, branches=[branch_a])
    UserBranchScope.objects.create(
        user=user, branch=branch_b, scope_type="BRANCH", active_to=now - timedelta(minutes=1)
    )
    UserBranchScope.objects.create(
        user=user, branch=None, scope_type="ALL", active_from=now + timedelta(days=1)
    )
    whole_bank = make_user(R.DIRECTOR)
    backend = SessionUserBackend()
    for original in (user, whole_bank):
        loaded = backend.get_user(str(original.pk))
        fresh = User.objects.get(pk=original.pk)
        assert loaded.username == fresh.username and loaded.home_branch == fresh.home_branch
        assert loaded.role_keys() == fresh.role_keys()
        assert authz.branch_scope(loaded) == authz.branch_scope(fresh)
        for role in fresh.role_keys():
            loaded.active_role = fresh.active_role = role
            authz.forget(fresh)
            assert authz.role_permissions_of(loaded) == authz.role_permissions_of(fresh)
            assert authz.role_permissions_of(loaded) == frozenset(
                RolePermission.objects.filter(role_id=role).values_list("permission", flat=True)
            )
        loaded.active_role = R.ADMIN  # not held: nothing
        assert authz.role_permissions_of(loaded) == frozenset()
    assert authz.branch_scope(backend.get_user(str(whole_bank.pk))).all_branches
    assert authz.branch_scope(backend.get_user(str(user.pk))).branch_ids == {branch_a.pk}


def test_the_session_backend_refuses_inactive_missing_and_malformed_ids(make_user, branch_a):
    import uuid

    from amanah.iam.backends import SessionUserBackend
    from amanah.iam.models import User

    backend = SessionUserBackend()
    user = make_user(R.AGENT, branches=[branch_a])
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(str(user.pk)) is None
    assert backend.get_user(str(uuid.uuid4())) is None
    assert backend.get_user("not-a-uuid\x00") is None
