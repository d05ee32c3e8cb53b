from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.core.fields import CITextField
from amanah.core.roles import RoleKey
from amanah.iam.policies import BRANCH_VIEW, USER_MANAGE


class TimeZoneChoice(models.TextChoices):
    WIB = "Asia/Jakarta", "WIB (UTC+7)"
    WITA = "Asia/Makassar", "WITA (UTC+8)"
    WIT = "Asia/Jayapura", "WIT (UTC+9)"


class Branch(models.Model):
    """A bank office (cabang). Scope, time zone and later the working calendar hang off it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(
        max_length=32, choices=TimeZoneChoice.choices, default=TimeZoneChoice.WIB
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def timezone_label(self) -> str:
        return TimeZoneChoice(self.timezone).label.split(" ")[0]


class Role(models.Model):
    """One of the bank's roles (seed 003 Bab 5.2); its grants are rows of RolePermission."""

    key = models.CharField(max_length=32, primary_key=True, choices=RoleKey.choices)
    name = models.CharField(max_length=80)

    def __str__(self) -> str:
        return self.key


class UserManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(username=username)


# A user's roles sort in the order RoleKey declares them (``role_keys``): built once, since
# ``RoleKey.values`` builds its list anew on each read and the check runs on every request.
_ROLE_ORDER = {key: i for i, key in enumerate(RoleKey.values)}


class User(AbstractBaseUser):
    """A member of staff. Works in one active role at a time (kept in the session)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = CITextField(unique=True)
    full_name = models.CharField(max_length=150)
    email = CITextField(blank=True, default="")
    home_branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    is_active = models.BooleanField(default=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Part of every session's auth hash: bumping it ends all of the user's sessions at once.
    session_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=now)
    roles = models.ManyToManyField(
        Role, through="UserRole", through_fields=("user", "role"), related_name="users"
    )

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager.from_queryset(scopes.ScopedQuerySet)()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "amanah.iam.User.session",
            f"{self.password}:{self.session_version}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def status(self) -> str:
        return "ACTIVE" if self.is_active else "SUSPENDED"

    def role_keys(self) -> list[str]:
        """The user's roles in a stable order (the first one is the default active role)."""
        keys = getattr(self, "held_role_keys", None)  # read with the user by the session backend
        if keys is None:
            keys = [ur.role_id for ur in self.user_roles.all()]
        return sorted(keys, key=lambda k: _ROLE_ORDER.get(k, 99))


class UserRole(models.Model):
    """A role held by a user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles")
    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    assigned_at = models.DateTimeField(default=now)
    assigned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role_id}"


class ScopeType(models.TextChoices):
    BRANCH = "BRANCH", _("Cabang tertentu")
    ALL = "ALL", _("Seluruh bank (kantor pusat)")


class UserBranchScope(models.Model):
    """Which branches' data a user may see (seed 003 Bab 5.4), optionally time-boxed.

    ``ALL`` is the head-office scope (compliance, directors, IT) and has no branch.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="branch_scopes")
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT)
    scope_type = models.CharField(max_length=10, choices=ScopeType.choices)
    active_from = models.DateTimeField(null=True, blank=True)
    active_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "branch", "scope_type"],
                name="user_scope_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(Q(scope_type="ALL", branch__isnull=True))
                | (Q(scope_type="BRANCH", branch__isnull=False)),
                name="scope_branch_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_to__gt=models.F("active_from")),
                name="scope_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_type}:{self.branch_id or '*'}"


class RolePermission(models.Model):
    """One cell of the permission matrix: ``role`` holds ``permission``."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    permission = models.CharField(max_length=64)
    granted_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="role_permission_once")
        ]

    def __str__(self) -> str:
        return f"{self.role_id}:{self.permission}"


class PermissionSeed(models.Model):
    """Permissions whose default grants were already copied into the matrix (never again)."""

    permission = models.CharField(max_length=64, primary_key=True)
    seeded_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.permission


class ApiToken(models.Model):
    """A bearer token for the REST API, bound to one user and one of their roles.

    Only a SHA-256 of the token is stored; the token itself is shown once at creation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, moment=None) -> bool:
        moment = moment or now()
        return self.revoked_at is None and moment < self.expires_at


# Branches in the actor's scope; staff whose home branch is in scope (seed 003 Bab 5.4).
scopes.register(Branch, view=BRANCH_VIEW, branch="pk")
scopes.register(User, view=USER_MANAGE, branch="home_branch")
